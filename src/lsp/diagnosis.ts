// The full assemblies behind diagnostics, away from the thread that answers
// requests: a `Diagnostician` assembles the programs of the open documents
// from a snapshot of their texts (and the disk), and a worker thread runs one
// so that hover and completion are answered while it works. Without a worker
// script (tests in one process) the same code runs in place.

import * as fs from 'fs';
import * as path from 'path';
import { readSourceText } from '../loader/sourceFile';
import { Worker, parentPort } from 'worker_threads';
import { Diagnostic } from 'vscode-languageserver';
import { AsmSymbol } from '../asm';
import { isSameFile } from './features/analysis';
import { Project } from './project';

export interface DocumentSnapshot {
  file: string;
  version: number;
  text: string;
}

export interface DiagnosisRequest {
  /** Every open document. */
  documents: DocumentSnapshot[];
  /** Bumped by the server when files on disk may have changed. */
  diskGeneration: number;
}

/** What live names need of an assembly: its files and symbols. */
export interface ProgramSymbols {
  files: string[];
  symbols: AsmSymbol[];
}

export interface Diagnosis {
  /** Diagnostics to publish, by file. */
  byFile: Array<[string, Diagnostic[]]>;
  /** The program each open document belongs to. */
  programs: Array<[string, ProgramSymbols]>;
  /** Programs assembled so far by this diagnostician. */
  assemblies: number;
}

/** The file's text from disk, or undefined when it cannot be read. */
export function readDiskFile(file: string): string | undefined {
  if (!path.isAbsolute(file)) return undefined;
  // Regular files of bounded size only: a sibling that is a named pipe or a link to /dev/zero is skipped, not read.
  return readSourceText(file);
}

export function listG32Files(folder: string): string[] {
  try {
    return fs
      .readdirSync(folder)
      .filter((name) => name.toLowerCase().endsWith('.g32'))
      .map((name) => path.join(folder, name));
  } catch {
    return [];
  }
}

export class Diagnostician {
  private documents: DocumentSnapshot[] = [];
  private diskGeneration = 0;
  private readonly project = new Project({
    readFile: (file) => this.snapshotOf(file)?.text ?? readDiskFile(file),
    openFiles: () => this.documents.map((document) => document.file),
    listFolder: listG32Files,
    versionOf: (file) => this.snapshotOf(file)?.version,
  });

  diagnose(request: DiagnosisRequest): Diagnosis {
    this.documents = request.documents;
    if (request.diskGeneration !== this.diskGeneration) {
      this.diskGeneration = request.diskGeneration;
      this.project.invalidate();
    }
    // Old versions go before the new ones are made, so a big program is not held twice.
    this.project.prune();
    const byFile = [...this.project.diagnosticsToPublish()];
    const programs: Array<[string, ProgramSymbols]> = this.documents.map((document) => {
      const result = this.project.analysisFor(document.file).result;
      return [document.file, { files: result.files, symbols: result.symbols }];
    });
    this.project.prune();
    return { byFile, programs, assemblies: this.project.assemblyCount };
  }

  private snapshotOf(file: string): DocumentSnapshot | undefined {
    return this.documents.find((document) => isSameFile(document.file, file));
  }
}

/** Runs requests one at a time, here or in a worker thread. */
export interface DiagnosisService {
  diagnose(request: DiagnosisRequest): Promise<Diagnosis>;
  /** Gets ready before the first request (a worker thread takes a moment to start). */
  prepare?(): void;
  dispose(): void;
}

export class InPlaceDiagnosis implements DiagnosisService {
  private readonly diagnostician = new Diagnostician();

  diagnose(request: DiagnosisRequest): Promise<Diagnosis> {
    return Promise.resolve(this.diagnostician.diagnose(request));
  }

  dispose(): void {}
}

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
      this.inPlace = new InPlaceDiagnosis();
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
  const diagnostician = new Diagnostician();
  port.on('message', (request: DiagnosisRequest) => port.postMessage(diagnostician.diagnose(request)));
}
