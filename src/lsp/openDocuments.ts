// The documents open in the editor, kept up to date from the client's
// incremental edits. Each keeps its text (with line offsets, for reading one
// line without splitting the whole text) and the index of the names it
// defines, which an edit updates only on the lines it touched.

import { DidChangeTextDocumentParams, TextDocumentContentChangeEvent, TextDocumentItem } from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { DefinitionIndex } from './features/definitionIndex';

/** Lines as the assembler splits them: `\r\n`, `\n` and a lone `\r` all end a line. */
function splitLines(text: string): string[] {
  return text.split(/\r\n|\n|\r/);
}

export class OpenDocument {
  private document: TextDocument;
  readonly index: DefinitionIndex;

  constructor(
    item: TextDocumentItem,
    /** The assembler's name for the document. */
    readonly file: string,
  ) {
    this.document = TextDocument.create(item.uri, item.languageId, item.version, item.text);
    this.index = new DefinitionIndex(file, splitLines(item.text));
  }

  get uri(): string {
    return this.document.uri;
  }

  get version(): number {
    return this.document.version;
  }

  get lineCount(): number {
    return this.document.lineCount;
  }

  getText(): string {
    return this.document.getText();
  }

  /** Line `line` (0-based) without its line break; '' past the end. */
  lineAt(line: number): string {
    if (line < 0 || line >= this.document.lineCount) return '';
    return this.linesFrom(line, 1)[0];
  }

  applyChanges(changes: readonly TextDocumentContentChangeEvent[], version: number): void {
    for (const change of changes) {
      if (!('range' in change)) {
        this.document = TextDocument.update(this.document, [change], version);
        this.index.replaceLines(0, this.index.lineCount, splitLines(change.text));
        continue;
      }
      const before = this.document.lineCount;
      const startLine = Math.min(change.range.start.line, before - 1);
      const endLine = Math.min(Math.max(change.range.end.line, startLine), before - 1);
      this.document = TextDocument.update(this.document, [change], version);
      const delta = this.document.lineCount - before;
      // One line of margin each side: a lone '\r' next to a '\n' can join two line breaks into one.
      const first = Math.max(0, startLine - 1);
      const lastBefore = Math.min(before - 1, endLine + 1);
      const lastAfter = Math.min(this.document.lineCount - 1, lastBefore + delta);
      const count = Math.max(0, lastAfter - first + 1);
      this.index.replaceLines(first, lastBefore - first + 1, count > 0 ? this.linesFrom(first, count) : []);
    }
    if (changes.length === 0) this.document = TextDocument.update(this.document, [], version);
    // Cannot happen if the arithmetic above is right; if it ever does, the index is rebuilt rather than wrong.
    if (this.index.lineCount !== this.document.lineCount) this.index.replaceLines(0, this.index.lineCount, splitLines(this.document.getText()));
  }

  private linesFrom(first: number, count: number): string[] {
    const start = this.document.offsetAt({ line: first, character: 0 });
    const isToEnd = first + count >= this.document.lineCount;
    const end = isToEnd ? this.document.getText().length : this.document.offsetAt({ line: first + count, character: 0 });
    return splitLines(this.document.getText().slice(start, end)).slice(0, count);
  }
}

/** Open documents by URI. */
export class OpenDocuments {
  private readonly byUri = new Map<string, OpenDocument>();

  constructor(private readonly fileOf: (uri: string) => string) {}

  open(item: TextDocumentItem): OpenDocument {
    const document = new OpenDocument(item, this.fileOf(item.uri));
    this.byUri.set(item.uri, document);
    return document;
  }

  change(params: DidChangeTextDocumentParams): OpenDocument | undefined {
    const document = this.byUri.get(params.textDocument.uri);
    document?.applyChanges(params.contentChanges, params.textDocument.version);
    return document;
  }

  close(uri: string): OpenDocument | undefined {
    const document = this.byUri.get(uri);
    this.byUri.delete(uri);
    return document;
  }

  get(uri: string): OpenDocument | undefined {
    return this.byUri.get(uri);
  }

  all(): OpenDocument[] {
    return [...this.byUri.values()];
  }
}
