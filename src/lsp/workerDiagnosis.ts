// Diagnoses in a worker thread, for the server run by Node: the worker is the
// server's own entry script started again (main.ts tells the two apart by
// `workerData`), reading files from the disk. Where no worker can be started
// the same Diagnostician runs on the server's thread.

import { Worker, parentPort } from 'worker_threads';
import { Diagnosis, DiagnosisRequest, DiagnosisService, Diagnostician, InPlaceDiagnosis } from './diagnosis';
import { nodeSourceFiles } from './nodeSourceFiles';

/** Marks the worker started by `WorkerDiagnosis`, so the entry script knows to serve instead of starting a server. */
export const DIAGNOSIS_WORKER = 'hyperstep-lsp-diagnosis';

export class WorkerDiagnosis implements DiagnosisService {
  private worker: Worker | undefined;
  /** Used when no worker thread can be started at all. */
  private inPlace: InPlaceDiagnosis | undefined;
  private pending: { resolve: (diagnosis: Diagnosis) => void; reject: (error: Error) => void } | undefined;

  /** `script` is the entry script that calls `serveDiagnosis` in a worker (the server's own). */
  constructor(private readonly script: string) {}

  diagnose(request: DiagnosisRequest): Promise<Diagnosis> {
    if (this.inPlace) return this.inPlace.diagnose(request);
    if (this.pending) return Promise.reject(new Error('one diagnosis at a time'));
    let worker: Worker;
    try {
      worker = this.started();
    } catch {
      this.inPlace = new InPlaceDiagnosis(nodeSourceFiles);
      return this.inPlace.diagnose(request);
    }
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      worker.postMessage(request);
    });
  }

  prepare(): void {
    try {
      this.started();
    } catch {
      // `diagnose` falls back to the server's thread.
    }
  }

  dispose(): void {
    void this.worker?.terminate();
    this.worker = undefined;
  }

  private started(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(this.script, { workerData: DIAGNOSIS_WORKER });
    worker.unref();
    const settle = (outcome: { diagnosis: Diagnosis } | { error: Error }): void => {
      const pending = this.pending;
      this.pending = undefined;
      if (!pending) return;
      if ('diagnosis' in outcome) pending.resolve(outcome.diagnosis);
      else pending.reject(outcome.error);
    };
    worker.on('message', (diagnosis: Diagnosis) => settle({ diagnosis }));
    // A worker that dies (out of memory, say) is replaced at the next request.
    const lost = (error: Error): void => {
      if (this.worker === worker) this.worker = undefined;
      settle({ error });
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`diagnosis worker exited with ${code}`)));
    this.worker = worker;
    return worker;
  }
}

/** The worker's side: answers each request with a diagnosis. */
export function serveDiagnosis(): void {
  const port = parentPort;
  if (!port) return;
  const diagnostician = new Diagnostician(nodeSourceFiles);
  port.on('message', (request: DiagnosisRequest) => port.postMessage(diagnostician.diagnose(request)));
}
