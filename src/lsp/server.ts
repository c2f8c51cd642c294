// The G32 language server: wires the LSP connection to the feature functions.
// It owns the open documents, turns URIs into the paths the assembler knows,
// reads files (open editors before the disk, so an unsaved included file
// counts), reads the client's capabilities once and degrades, and catches
// every error at this edge: a failing request is logged and answered with an
// empty result. All meaning comes from `asm/` through the features.

import * as fs from 'fs';
import * as path from 'path';
import { fileURLToPath, pathToFileURL } from 'url';
import {
  ClientCapabilities,
  Connection,
  DidChangeWatchedFilesNotification,
  InitializeParams,
  InitializeResult,
  LSPErrorCodes,
  MarkupKind,
  ResponseError,
  TextDocumentPositionParams,
  TextDocumentSyncKind,
  TextDocuments,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { AnalyzedDocument, isSameFile } from './features/analysis';
import { completion } from './features/completion';
import { definition } from './features/definition';
import { hover } from './features/hover';
import { references } from './features/references';
import { prepareRename, rename } from './features/rename';
import { documentSymbols } from './features/symbols';
import { Project } from './project';
import { loadReferenceDocs } from './referenceDocs';
import { readSourceText } from '../loader/sourceFile';

export interface ServerOptions {
  /** Quiet time after an edit before diagnostics are recomputed. */
  debounceMs?: number;
}

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

/** The assembler's name for a document: its file path, or the URI itself for documents not on disk (`untitled:`). */
export function uriToPath(uri: string): string {
  if (!uri.startsWith('file:')) return uri;
  try {
    return fileURLToPath(uri);
  } catch {
    return uri;
  }
}

export class G32LanguageServer {
  private readonly documents = new TextDocuments(TextDocument);
  private readonly project: Project;
  private features: ClientFeatures = readClientFeatures({});
  private validationTimer: NodeJS.Timeout | undefined;
  /** URIs that currently have diagnostics on the client, so they can be cleared. */
  private publishedUris = new Set<string>();
  /** The machine's reference beside the server, for the links at the end of hovers. */
  private readonly reference = loadReferenceDocs();

  constructor(
    private readonly connection: Connection,
    private readonly options: ServerOptions = {},
  ) {
    this.project = new Project({
      readFile: (file) => this.readFile(file),
      openFiles: () => this.openDocuments().map((document) => uriToPath(document.uri)),
      listFolder: (folder) => listG32Files(folder),
    });
  }

  /** Registers every handler and starts listening. */
  listen(): void {
    const connection = this.connection;
    connection.onInitialize((params) => this.initialize(params));
    connection.onInitialized(() => this.initialized());
    connection.onShutdown(() => this.cancelValidation());

    this.documents.onDidChangeContent(() => this.changed());
    this.documents.onDidClose(() => this.changed());
    connection.onDidChangeWatchedFiles(() => this.changed());

    connection.onHover((params) =>
      this.guard('hover', null, () => {
        const document = this.analyzed(params);
        return document ? hover(document, params.position, { isMarkdown: this.features.isHoverMarkdown, reference: this.reference }) : null;
      }),
    );
    connection.onCompletion((params) =>
      this.guard('completion', [], () => {
        const document = this.analyzed(params);
        return document ? completion(document, params.position, { isMarkdown: this.features.isCompletionMarkdown }) : [];
      }),
    );
    connection.onDefinition((params) =>
      this.guard('definition', [], () => {
        const document = this.analyzed(params);
        return document ? definition(document, params.position) : [];
      }),
    );
    connection.onReferences((params) =>
      this.guard('references', [], () => {
        const document = this.analyzed(params);
        return document ? references(document, params.position, { includeDeclaration: params.context.includeDeclaration }) : [];
      }),
    );
    connection.onDocumentSymbol((params) =>
      this.guard('documentSymbol', [], () => {
        const document = this.analyzed({ textDocument: params.textDocument, position: { line: 0, character: 0 } });
        return document ? documentSymbols(document, { isHierarchical: this.features.hasHierarchicalSymbols }) : [];
      }),
    );
    connection.onPrepareRename((params) =>
      this.guard('prepareRename', null, () => {
        const document = this.analyzed(params);
        if (!document) return null;
        const outcome = prepareRename(document, params.position);
        // A refusal is an answer for the user, not a server failure.
        return 'error' in outcome ? new ResponseError(LSPErrorCodes.RequestFailed, outcome.error) : outcome;
      }),
    );
    connection.onRenameRequest((params) =>
      this.guard('rename', null, () => {
        const document = this.analyzed(params);
        if (!document) return null;
        const outcome = rename(document, params.position, params.newName, (file) => this.readFile(file));
        return 'error' in outcome ? new ResponseError(LSPErrorCodes.RequestFailed, outcome.error) : outcome.edit;
      }),
    );

    this.documents.listen(connection);
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
    // Included files that are not open change on disk without an edit we can
    // see; clients that let us ask are told to report `.g32` changes.
    if (this.features.canWatchFilesDynamically) {
      this.connection.client.register(DidChangeWatchedFilesNotification.type, { watchers: [{ globPattern: '**/*.g32' }] }).catch((error: unknown) => {
        this.connection.console.error(`hyperstep-lsp: could not watch .g32 files: ${describeError(error)}`);
      });
    }
  }

  private changed(): void {
    this.project.invalidate();
    this.scheduleValidation();
  }

  private scheduleValidation(): void {
    this.cancelValidation();
    this.validationTimer = setTimeout(() => {
      this.validationTimer = undefined;
      this.guard('diagnostics', undefined, () => this.publishDiagnostics());
    }, this.options.debounceMs ?? 150);
  }

  private cancelValidation(): void {
    if (this.validationTimer) clearTimeout(this.validationTimer);
    this.validationTimer = undefined;
  }

  private publishDiagnostics(): void {
    const published = new Set<string>();
    for (const [file, diagnostics] of this.project.diagnosticsToPublish()) {
      const uri = this.uriOf(file);
      published.add(uri);
      void this.connection.sendDiagnostics({ uri, diagnostics });
    }
    for (const uri of this.publishedUris) {
      if (!published.has(uri)) void this.connection.sendDiagnostics({ uri, diagnostics: [] });
    }
    this.publishedUris = published;
  }

  private openDocuments(): TextDocument[] {
    return this.documents.all();
  }

  /** The file's text, preferring an open editor's (possibly unsaved) text to the disk. */
  private readFile(file: string): string | undefined {
    const open = this.openDocuments().find((document) => isSameFile(uriToPath(document.uri), file));
    if (open) return open.getText();
    if (!path.isAbsolute(file)) return undefined;
    // Regular files of bounded size only: a sibling that is a named pipe or a link to /dev/zero is skipped, not read.
    return readSourceText(file);
  }

  private uriOf(file: string): string {
    const open = this.openDocuments().find((document) => isSameFile(uriToPath(document.uri), file));
    if (open) return open.uri;
    return path.isAbsolute(file) ? pathToFileURL(file).href : file;
  }

  private analyzed(params: TextDocumentPositionParams): AnalyzedDocument | undefined {
    const document = this.documents.get(params.textDocument.uri);
    if (!document) return undefined;
    const file = uriToPath(document.uri);
    const { result } = this.project.analysisFor(file);
    return { file, text: document.getText(), result, uriOf: (other) => this.uriOf(other) };
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
}

function listG32Files(folder: string): string[] {
  try {
    return fs
      .readdirSync(folder)
      .filter((name) => name.toLowerCase().endsWith('.g32'))
      .map((name) => path.join(folder, name));
  } catch {
    return [];
  }
}

function describeError(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

/** Builds the server on a connection and starts it. */
export function startServer(connection: Connection, options: ServerOptions = {}): G32LanguageServer {
  const server = new G32LanguageServer(connection, options);
  server.listen();
  return server;
}
