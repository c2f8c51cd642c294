// The full assemblies behind diagnostics, away from the thread that answers
// requests: a `Diagnostician` assembles the programs of the open documents
// from a snapshot of their texts (and the files around them). Node's server
// runs one in a worker thread (workerDiagnosis.ts) so that hover and
// completion are answered while it works; the browser's server and the tests
// run it in place.

import { Diagnostic } from 'vscode-languageserver';
import { AsmSymbol } from '../asm';
import { isSameFile } from './features/analysis';
import { Project } from './project';
import type { SourceFiles } from './sourceFiles';

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

export class Diagnostician {
  private documents: DocumentSnapshot[] = [];
  private diskGeneration = 0;
  private readonly project: Project;

  constructor(files: SourceFiles) {
    this.project = new Project({
      readFile: (file) => this.snapshotOf(file)?.text ?? files.readFile(file),
      openFiles: () => this.documents.map((document) => document.file),
      listFolder: (folder) => files.listG32Files(folder),
      versionOf: (file) => this.snapshotOf(file)?.version,
    });
  }

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
  private readonly diagnostician: Diagnostician;

  constructor(files: SourceFiles) {
    this.diagnostician = new Diagnostician(files);
  }

  diagnose(request: DiagnosisRequest): Promise<Diagnosis> {
    return Promise.resolve(this.diagnostician.diagnose(request));
  }

  dispose(): void {}
}
