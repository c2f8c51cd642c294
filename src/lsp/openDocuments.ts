// The documents open in the editor, kept up to date from the client's
// incremental edits. Each keeps its text as lines (an edit costs the lines it
// touches, not the length of the file; the whole text is joined only when an
// assembly asks for it) and the index of the names it defines, which an edit
// updates only on the lines it touched.

import { DidChangeTextDocumentParams, Position, TextDocumentContentChangeEvent, TextDocumentItem } from 'vscode-languageserver';
import { DefinitionIndex } from './features/definitionIndex';

export class OpenDocument {
  /** The lines without their breaks, and each line's break ('' for the last). */
  private lines: string[];
  private breaks: string[];
  private currentVersion: number;
  /** The whole text, joined when asked for and kept until the next edit. */
  private text: string | undefined;
  readonly index: DefinitionIndex;

  constructor(
    item: TextDocumentItem,
    /** The assembler's name for the document. */
    readonly file: string,
    readonly uri = item.uri,
  ) {
    this.currentVersion = item.version;
    [this.lines, this.breaks] = splitKeepingBreaks(item.text);
    this.text = item.text;
    this.index = new DefinitionIndex(file, this.lines);
  }

  get version(): number {
    return this.currentVersion;
  }

  get lineCount(): number {
    return this.lines.length;
  }

  getText(): string {
    if (this.text === undefined) {
      const last = this.lines.length - 1;
      let isAllNewlines = true;
      for (let line = 0; line < last && isAllNewlines; line++) isAllNewlines = this.breaks[line] === '\n';
      if (isAllNewlines) {
        // The usual case, joined in one go.
        this.text = this.lines.join('\n');
      } else {
        const parts: string[] = [];
        for (let line = 0; line <= last; line++) parts.push(this.lines[line], this.breaks[line]);
        this.text = parts.join('');
      }
    }
    return this.text;
  }

  /** Line `line` (0-based) without its line break; '' past the end. */
  lineAt(line: number): string {
    return this.lines[line] ?? '';
  }

  applyChanges(changes: readonly TextDocumentContentChangeEvent[], version: number): void {
    this.currentVersion = version;
    for (const change of changes) {
      this.text = undefined;
      if (!('range' in change)) {
        [this.lines, this.breaks] = splitKeepingBreaks(change.text);
        this.index.replaceLines(0, this.index.lineCount, this.lines);
        continue;
      }
      const before = this.lines.length;
      const { start, end } = orderedRange(change.range.start, change.range.end);
      const startLine = Math.min(start.line, before - 1);
      const endLine = Math.min(end.line, before - 1);
      const head = this.lines[startLine].slice(0, start.line > startLine ? undefined : start.character);
      const tail = end.line > endLine ? '' : this.lines[endLine].slice(end.character);
      const [lines, breaks] = splitKeepingBreaks(head + change.text + tail);
      breaks[breaks.length - 1] = end.line > endLine ? '' : this.breaks[endLine];
      this.lines = replaced(this.lines, startLine, endLine - startLine + 1, lines);
      this.breaks = replaced(this.breaks, startLine, endLine - startLine + 1, breaks);
      // A '\r' that now meets a '\n' across an empty line is one line break.
      for (let line = Math.min(startLine + lines.length, this.lines.length - 1); line >= Math.max(1, startLine); line--) {
        if (this.lines[line] === '' && this.breaks[line - 1] === '\r' && this.breaks[line] === '\n') {
          this.lines.splice(line, 1);
          this.breaks.splice(line, 1);
          this.breaks[line - 1] = '\r\n';
        }
      }
      const delta = this.lines.length - before;
      // One line of margin each side covers those joined breaks.
      const first = Math.max(0, startLine - 1);
      const lastBefore = Math.min(before - 1, endLine + 1);
      const lastAfter = Math.min(this.lines.length - 1, lastBefore + delta);
      this.index.replaceLines(first, lastBefore - first + 1, this.lines.slice(first, lastAfter + 1));
    }
    // Cannot happen if the arithmetic above is right; if it ever does, the index is rebuilt rather than wrong.
    if (this.index.lineCount !== this.lines.length) this.index.replaceLines(0, this.index.lineCount, this.lines);
  }
}

/** `array` with `count` items from `first` replaced by `items`: in place, or copied when the items are too many to pass as arguments. */
function replaced<T>(array: T[], first: number, count: number, items: readonly T[]): T[] {
  if (items.length < 10_000) {
    array.splice(first, count, ...items);
    return array;
  }
  return [...array.slice(0, first), ...items, ...array.slice(first + count)];
}

function orderedRange(a: Position, b: Position): { start: Position; end: Position } {
  return a.line < b.line || (a.line === b.line && a.character <= b.character) ? { start: a, end: b } : { start: b, end: a };
}

/** Lines as the assembler splits them (`\r\n`, `\n` and a lone `\r` each end one), with the break after each. */
function splitKeepingBreaks(text: string): [string[], string[]] {
  const parts = text.split(/(\r\n|\n|\r)/);
  const lines: string[] = [];
  const breaks: string[] = [];
  for (let index = 0; index < parts.length; index += 2) {
    lines.push(parts[index]);
    breaks.push(parts[index + 1] ?? '');
  }
  return [lines, breaks];
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
