// The G32 language server: wires the LSP connection to the feature functions.
// It owns the open documents, turns URIs into the paths the assembler knows,
// reads files (open editors before the disk, so an unsaved included file
// counts), reads the client's capabilities once and degrades, and catches
// every error at this edge: a failing request is logged and answered with an
// empty result. All meaning comes from `asm/` through the features.
//
// Typing never waits for an assembly: hover, completion, go-to-definition and
// the outline read the live names (each open document's definition index,
// updated per edited line, and the values of the program's last assembly).
// Full assemblies run for diagnostics once edits pause, in a worker thread (a
// newer edit supersedes a run in progress), and for references and rename,
// which need every use of a name.

import * as path from 'path';
import {
  CancellationToken,
  ClientCapabilities,
  Connection,
  DidChangeWatchedFilesNotification,
  InitializeParams,
  InitializeResult,
  LSPErrorCodes,
  MarkupKind,
  RequestType0,
  ResponseError,
  TextDocumentIdentifier,
  TextDocumentSyncKind,
} from 'vscode-languageserver';
import { Clock, DebouncedRun, RunToken } from './debouncedRun';
import { DiagnosisService, InPlaceDiagnosis, ProgramSymbols } from './diagnosis';
import { DocumentPaths } from './documentPaths';
import { AnalyzedDocument, isSameFile } from './features/analysis';
import { completionList } from './features/completion';
import { definition } from './features/definition';
import { hover } from './features/hover';
import { references } from './features/references';
import { prepareRename, rename } from './features/rename';
import { liveNames, symbolsByName } from './features/nameTable';
import { documentSymbols } from './features/symbols';
import { OpenDocument, OpenDocuments } from './openDocuments';
import { Project } from './project';
import type { ReferenceDocs } from './features/referenceLinks';
import type { SourceFiles } from './sourceFiles';

export interface ServerOptions {
  /** Quiet time after an edit before diagnostics are recomputed. */
  debounceMs?: number;
  /** The timers behind that quiet time (tests step a fake one). */
  clock?: Clock;
  /** Where files that are not open are read: the disk (nodeSourceFiles.ts) or what the web client pushed (pushedSourceFiles.ts). */
  files: SourceFiles;
  /** Who makes diagnoses (Node's server: a worker thread; tests: when they choose); by default on the server's thread. */
  diagnosis?: DiagnosisService;
  /** The machine's reference, for the links at the end of hovers (none in the browser). */
  reference?: ReferenceDocs;
  /** The process's memory, for the stats request (Node only). */
  memoryUsage?: () => { rss: number; heapUsed: number };
}

/** What the server has done, for tests and `npm run bench:lsp`. */
export interface ServerStats {
  /** Programs assembled (cache misses) since start. */
  assemblies: number;
  /** Diagnostics runs started (each after a quiet period). */
  diagnosticsRuns: number;
  /** Process memory in bytes. */
  rss: number;
  heapUsed: number;
}

/** The custom request answering `ServerStats`. */
export const SERVER_STATS_REQUEST = new RequestType0<ServerStats, void>('hyperstep/serverStats');

/** What the client can do, read once at initialize. */
interface ClientFeatures {
  isHoverMarkdown: boolean;
  isCompletionMarkdown: boolean;
  hasHierarchicalSymbols: boolean;
  hasPrepareRename: boolean;
  canWatchFilesDynamically: boolean;
}

export function readClientFeatures(capabilities: ClientCapabilities): ClientFeatures {
  const textDocument = capabilities.textDocument;
  return {
    isHoverMarkdown: textDocument?.hover?.contentFormat?.includes(MarkupKind.Markdown) ?? false,
    isCompletionMarkdown: textDocument?.completion?.completionItem?.documentationFormat?.includes(MarkupKind.Markdown) ?? false,
    hasHierarchicalSymbols: textDocument?.documentSymbol?.hierarchicalDocumentSymbolSupport === true,
    hasPrepareRename: textDocument?.rename?.prepareSupport === true,
    canWatchFilesDynamically: capabilities.workspace?.didChangeWatchedFiles?.dynamicRegistration === true,
  };
}

export class G32LanguageServer {
  /** Document URIs and the paths the assembler knows files by (file paths, or a virtual workspace's paths). */
  private readonly paths = new DocumentPaths();
  private readonly documents = new OpenDocuments((uri) => this.paths.toPath(uri));
  private readonly project: Project;
  private readonly diagnostics: DebouncedRun;
  private readonly diagnosis: DiagnosisService;
  /** The last diagnosis's program of each open document, for values and names in other files. */
  private programs = new Map<string, ProgramSymbols>();
  /** The last outline of each open document: editors ask for it several times per version (outline, breadcrumbs). */
  private readonly outlines = new Map<string, { version: number; program: ProgramSymbols | undefined; symbols: ReturnType<typeof documentSymbols> }>();
  private diagnosisAssemblies = 0;
  /** Bumped when files on disk may have changed. */
  private diskGeneration = 0;
  /** The diagnosis in progress, so that a newer run waits for it instead of queueing behind it. */
  private running: Promise<unknown> = Promise.resolve();
  private features: ClientFeatures = readClientFeatures({});
  /** URIs that currently have diagnostics on the client, so they can be cleared. */
  private publishedUris = new Set<string>();

  constructor(
    private readonly connection: Connection,
    private readonly options: ServerOptions,
  ) {
    this.project = new Project({
      readFile: (file) => this.readFile(file),
      openFiles: () => this.openDocuments().map((document) => document.file),
      listFolder: (folder) => options.files.listG32Files(folder),
      versionOf: (file) => this.openDocument(file)?.version,
    });
    this.diagnostics = new DebouncedRun((token) => this.publishDiagnostics(token), options.debounceMs ?? 150, options.clock);
    this.diagnosis = options.diagnosis ?? new InPlaceDiagnosis(options.files);
  }

  stats(): ServerStats {
    const memory = this.options.memoryUsage?.() ?? { rss: 0, heapUsed: 0 };
    return { assemblies: this.project.assemblyCount + this.diagnosisAssemblies, diagnosticsRuns: this.diagnostics.runCount, rss: memory.rss, heapUsed: memory.heapUsed };
  }

  /** Files not open in an editor changed (the web client pushed new copies). */
  filesChanged(): void {
    this.diskChanged();
  }

  /** Registers every handler and starts listening. */
  listen(): void {
    const connection = this.connection;
    connection.onInitialize((params) => this.initialize(params));
    connection.onInitialized(() => this.initialized());
    connection.onShutdown(() => {
      this.diagnostics.cancel();
      this.diagnosis.dispose();
    });

    connection.onDidOpenTextDocument((params) => {
      this.documents.open(params.textDocument);
      this.diskChanged();
    });
    connection.onDidChangeTextDocument((params) => {
      this.guard('didChange', undefined, () => this.documents.change(params));
      this.changed();
    });
    connection.onDidCloseTextDocument((params) => {
      const closed = this.documents.close(params.textDocument.uri);
      if (closed) this.programs.delete(path.normalize(closed.file));
      this.outlines.delete(params.textDocument.uri);
      this.diskChanged();
    });
    connection.onDidChangeWatchedFiles(() => this.diskChanged());
    connection.onRequest(SERVER_STATS_REQUEST, () => this.stats());

    // Answered from the live names: no assembly, whatever was edited.
    connection.onHover((params, token) =>
      this.guard('hover', null, () => {
        if (token.isCancellationRequested) return cancelled();
        const document = this.live(params.textDocument);
        return document ? hover(document, params.position, { isMarkdown: this.features.isHoverMarkdown, reference: this.options.reference }) : null;
      }),
    );
    connection.onCompletion((params, token) =>
      this.guard('completion', [], () => {
        if (token.isCancellationRequested) return cancelled();
        const document = this.live(params.textDocument);
        if (!document) return [];
        const list = completionList(document, params.position, { isMarkdown: this.features.isCompletionMarkdown });
        // A plain array says "this is everything"; only a cut list needs the editor to ask again.
        return list.isIncomplete ? list : list.items;
      }),
    );
    connection.onDefinition((params, token) =>
      this.guard('definition', [], () => {
        if (token.isCancellationRequested) return cancelled();
        const document = this.live(params.textDocument);
        return document ? definition(document, params.position) : [];
      }),
    );
    connection.onDocumentSymbol((params, token) =>
      this.guard('documentSymbol', [], () => {
        if (token.isCancellationRequested) return cancelled();
        return this.outline(params.textDocument);
      }),
    );
    // These need every use of a name, so a current assembly; requests cancelled while waiting are not worked on.
    connection.onReferences((params, token) =>
      this.guardAssembled('references', [], token, () => {
        const document = this.assembled(params.textDocument);
        return document ? references(document, params.position, { includeDeclaration: params.context.includeDeclaration }) : [];
      }),
    );
    connection.onPrepareRename((params, token) =>
      this.guardAssembled('prepareRename', null, token, () => {
        const document = this.assembled(params.textDocument);
        if (!document) return null;
        const outcome = prepareRename(document, params.position);
        // A refusal is an answer for the user, not a server failure.
        return 'error' in outcome ? new ResponseError(LSPErrorCodes.RequestFailed, outcome.error) : outcome;
      }),
    );
    connection.onRenameRequest((params, token) =>
      this.guardAssembled('rename', null, token, () => {
        const document = this.assembled(params.textDocument);
        if (!document) return null;
        const outcome = rename(document, params.position, params.newName, (file) => this.readFile(file));
        return 'error' in outcome ? new ResponseError(LSPErrorCodes.RequestFailed, outcome.error) : outcome.edit;
      }),
    );

    connection.listen();
  }

  private initialize(params: InitializeParams): InitializeResult {
    this.features = readClientFeatures(params.capabilities);
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        hoverProvider: true,
        completionProvider: { triggerCharacters: ['.'] },
        definitionProvider: true,
        referencesProvider: true,
        documentSymbolProvider: true,
        renameProvider: this.features.hasPrepareRename ? { prepareProvider: true } : true,
      },
      serverInfo: { name: 'hyperstep-lsp' },
    };
  }

  private initialized(): void {
    this.diagnosis.prepare?.();
    // Included files that are not open change on disk without an edit we can
    // see; clients that let us ask are told to report `.g32` changes.
    if (this.features.canWatchFilesDynamically) {
      this.connection.client.register(DidChangeWatchedFilesNotification.type, { watchers: [{ globPattern: '**/*.g32' }] }).catch((error: unknown) => {
        this.connection.console.error(`hyperstep-lsp: could not watch .g32 files: ${describeError(error)}`);
      });
    }
  }

  /** Something changed: diagnostics are recomputed once edits pause, and a run in progress is superseded. */
  private changed(): void {
    this.diagnostics.schedule();
  }

  /**
   * Files on disk may have changed: assemblies that read one are not reused.
   * Opening and closing count too, for clients that do not report changes on
   * disk (and a file just closed is read from disk again).
   */
  private diskChanged(): void {
    this.diskGeneration++;
    this.project.invalidate();
    this.changed();
  }

  /**
   * Assembles the programs of the open documents (in the worker when there is
   * one, so requests are answered meanwhile) and publishes their diagnostics,
   * unless an edit arrived since the snapshot was taken: that edit has
   * scheduled a newer run, and these diagnostics are already out of date.
   */
  private async publishDiagnostics(token: RunToken): Promise<void> {
    try {
      // One diagnosis at a time: a newer run waits for the one in progress rather than queueing work behind it.
      await this.running.catch(() => undefined);
      if (token.isSuperseded) return;
      const documents = this.openDocuments().map((document) => ({ file: document.file, version: document.version, text: document.getText() }));
      const running = this.diagnosis.diagnose({ documents, diskGeneration: this.diskGeneration });
      this.running = running;
      const diagnosis = await running;
      this.diagnosisAssemblies = diagnosis.assemblies;
      if (token.isSuperseded || documents.some((document) => this.openDocument(document.file)?.version !== document.version)) return;
      this.programs = new Map(diagnosis.programs.map(([file, program]) => [path.normalize(file), program]));
      // The lookup by name is built now rather than in the next hover or completion.
      for (const program of this.programs.values()) symbolsByName(program);
      const published = new Set<string>();
      for (const [file, diagnostics] of diagnosis.byFile) {
        const open = this.openDocument(file);
        const uri = open?.uri ?? this.uriOf(file);
        published.add(uri);
        void this.connection.sendDiagnostics({ uri, version: open?.version, diagnostics });
      }
      for (const uri of this.publishedUris) {
        if (!published.has(uri)) void this.connection.sendDiagnostics({ uri, diagnostics: [] });
      }
      this.publishedUris = published;
      // Assemblies for references and rename of versions since edited are not kept.
      this.project.prune();
    } catch (error) {
      this.connection.console.error(`hyperstep-lsp: diagnostics failed: ${describeError(error)}`);
    }
  }

  private openDocuments(): OpenDocument[] {
    return this.documents.all();
  }

  private openDocument(file: string): OpenDocument | undefined {
    return this.openDocuments().find((document) => isSameFile(document.file, file));
  }

  /** The file's text, preferring an open editor's (possibly unsaved) text to the disk. */
  private readFile(file: string): string | undefined {
    const open = this.openDocument(file);
    if (open) return open.getText();
    return this.options.files.readFile(file);
  }

  private uriOf(file: string): string {
    const open = this.openDocument(file);
    if (open) return open.uri;
    return this.paths.toUri(file);
  }

  /** The document with the live names: its own as typed, the rest of its program as last assembled. No assembly. */
  private live(identifier: TextDocumentIdentifier): AnalyzedDocument | undefined {
    const document = this.documents.get(identifier.uri);
    if (!document) return undefined;
    const others = this.openDocuments().filter((other) => other !== document);
    return {
      file: document.file,
      get text() {
        return document.getText();
      },
      lineAt: (line) => document.lineAt(line),
      lineCount: document.lineCount,
      result: undefined,
      names: liveNames([document.index, ...others.map((other) => other.index)], this.programs.get(path.normalize(document.file))),
      uriOf: (other) => this.uriOf(other),
    };
  }

  private outline(identifier: TextDocumentIdentifier): ReturnType<typeof documentSymbols> {
    const document = this.documents.get(identifier.uri);
    const analyzed = this.live(identifier);
    if (!document || !analyzed) return [];
    const program = this.programs.get(path.normalize(document.file));
    const known = this.outlines.get(identifier.uri);
    if (known && known.version === document.version && known.program === program) return known.symbols;
    const symbols = documentSymbols(analyzed, { isHierarchical: this.features.hasHierarchicalSymbols });
    this.outlines.set(identifier.uri, { version: document.version, program, symbols });
    return symbols;
  }

  /** The document with a current assembly of its program (from the cache when nothing it reads changed). */
  private assembled(identifier: TextDocumentIdentifier): AnalyzedDocument | undefined {
    const document = this.documents.get(identifier.uri);
    if (!document) return undefined;
    const { result } = this.project.analysisFor(document.file);
    return { file: document.file, text: document.getText(), lineAt: (line) => document.lineAt(line), lineCount: document.lineCount, result, uriOf: (other) => this.uriOf(other) };
  }

  /** Runs one request; a bug inside is logged and becomes the empty answer instead of taking the server down. */
  private guard<T>(request: string, empty: T, run: () => T): T {
    try {
      return run();
    } catch (error) {
      this.connection.console.error(`hyperstep-lsp: ${request} failed: ${describeError(error)}`);
      return empty;
    }
  }

  /** As `guard`, for a request that may assemble: it first lets queued messages (a cancellation, newer edits) through. */
  private async guardAssembled<T>(request: string, empty: T, token: CancellationToken, run: () => T): Promise<T | ResponseError<void>> {
    await nextTurn();
    if (token.isCancellationRequested) return cancelled();
    return this.guard(request, empty, run);
  }
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function cancelled(): ResponseError<void> {
  return new ResponseError(LSPErrorCodes.RequestCancelled, 'cancelled');
}

function describeError(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

/** Builds the server on a connection and starts it. */
export function startServer(connection: Connection, options: ServerOptions): G32LanguageServer {
  const server = new G32LanguageServer(connection, options);
  server.listen();
  return server;
}
