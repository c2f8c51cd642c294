// What every feature knows about a document: its text, its path and the
// assembler's result for the program it belongs to (which may have been
// assembled from another file that `.include`s it). Also the lookups several
// features share: the symbol under the cursor and conversions from the
// assembler's 1-based columns to LSP's 0-based positions. It knows nothing of
// the connection or of open editors.

import * as path from 'path';
import { Position, Range } from 'vscode-languageserver';
import { AsmSymbol, AssembleResult, SymbolReference } from '../../asm';
import type { NamedSymbol } from './definitionIndex';
import type { NameTable } from './nameTable';
import { codeEnd, cursorSlot, wordAt } from './lineText';

export interface AnalyzedDocument {
  /** The path the assembler knows the document by. */
  file: string;
  text: string;
  /** The assembly of the program this file is part of; undefined when none could be made. */
  result: AssembleResult | undefined;
  /** The URI to show for an assembler path (an open document's own URI when it is open). */
  uriOf(file: string): string;
  /** One line of `text` (0-based) without splitting all of it; absent means `text` is split. */
  lineAt?(line: number): string;
  /** How many lines `text` has, given with `lineAt`. */
  lineCount?: number;
  /**
   * Where names are looked up when the document was not just assembled: the
   * server's live names, which follow the text without waiting for an
   * assembly. Absent means `result` is current and is used.
   */
  names?: NameTable;
}

export function isSameFile(a: string, b: string): boolean {
  return a === b || path.normalize(a) === path.normalize(b);
}

export function lineOf(text: string, line: number): string {
  const lines = text.split(/\r\n|\r|\n/);
  return lines[line] ?? '';
}

/** Line `line` (0-based) of the document. */
export function documentLine(document: AnalyzedDocument, line: number): string {
  return document.lineAt ? document.lineAt(line) : lineOf(document.text, line);
}

/** An LSP range from the assembler's 1-based line and columns (end exclusive). */
export function rangeFrom(line: number, column: number, endColumn: number, endLine = line): Range {
  return Range.create(Math.max(0, line - 1), Math.max(0, column - 1), Math.max(0, endLine - 1), Math.max(0, endColumn - 1));
}

export function referenceRange(reference: { line: number; column: number; endColumn: number }): Range {
  return rangeFrom(reference.line, reference.column, reference.endColumn);
}

/** The name under the cursor as the assembler resolved it. */
export interface SymbolAtCursor {
  /** Full name (`main.loop`). */
  name: string;
  /** The symbol's definition, when it has one. */
  symbol: NamedSymbol | undefined;
  /** Where the name is written at the cursor. */
  range: Range;
}

/**
 * Finds the label or `.equ` name at the cursor. The assembler's reference
 * list is the truth; when the line has an error (so it may hold names the
 * assembler never recorded) the word under the cursor is looked up by name
 * instead, with a local name qualified by the global label above it.
 */
export function symbolAt(document: AnalyzedDocument, position: Position): SymbolAtCursor | undefined {
  if (document.names) return symbolByWord(document, document.names, position);
  const result = document.result;
  if (!result) return undefined;
  const line = position.line + 1;
  const column = position.character + 1;
  const reference = result.references.find((candidate) => candidate.line === line && column >= candidate.column && column <= candidate.endColumn && isSameFile(candidate.file, document.file));
  if (reference) {
    return { name: reference.symbol, symbol: findSymbol(result, reference.symbol), range: referenceRange(reference) };
  }
  // A line that parsed lists every name on it; only a line with an error may hold names the assembler did not record.
  const hasError = result.diagnostics.some((diagnostic) => line >= diagnostic.line && line <= diagnostic.endLine && isSameFile(diagnostic.file, document.file));
  if (!hasError) return undefined;
  const lineText = lineOf(document.text, position.line);
  const word = wordAt(lineText, position.character);
  if (!word || word.start >= codeEnd(lineText)) return undefined;
  const name = qualify(word.text, parentAt(result, document.file, line));
  const symbol = findSymbol(result, name);
  if (!symbol) return undefined;
  return { name, symbol, range: Range.create(position.line, word.start, position.line, word.end) };
}

/** The name under the cursor looked up by how it is written: a label or `.equ` name in a label or operand slot. */
function symbolByWord(document: AnalyzedDocument, names: NameTable, position: Position): SymbolAtCursor | undefined {
  const lineText = documentLine(document, position.line);
  const word = wordAt(lineText, position.character);
  if (!word || word.start >= codeEnd(lineText)) return undefined;
  const slot = cursorSlot(lineText, position.character);
  if (slot !== 'label' && slot !== 'operand') return undefined;
  const name = qualify(word.text, names.parentAt(document.file, position.line + 1));
  const symbol = names.find(name);
  if (!symbol) return undefined;
  return { name, symbol, range: Range.create(position.line, word.start, position.line, word.end) };
}

export function findSymbol(result: AssembleResult, name: string): AsmSymbol | undefined {
  return result.symbols.find((symbol) => symbol.name === name);
}

/**
 * The global label that local names on `line` (1-based) belong to: the last
 * one defined at or above it in the same file. A file that starts with local
 * labels inherits its includer's parent, which this cannot see; such names are
 * found through the reference list instead.
 */
export function parentAt(result: Pick<AssembleResult, 'symbols'>, file: string, line: number): string | undefined {
  let best: AsmSymbol | undefined;
  for (const symbol of result.symbols) {
    if (symbol.kind !== 'label' || !isSameFile(symbol.file, file) || symbol.line > line) continue;
    if (!best || symbol.line > best.line || (symbol.line === best.line && symbol.column > best.column)) best = symbol;
  }
  return best?.name;
}

export function qualify(name: string, parent: string | undefined): string {
  return name.startsWith('.') && parent !== undefined ? parent + name : name;
}

/** References in assembly order with duplicates dropped (a file included twice lists its names twice). */
export function uniqueReferences(references: readonly SymbolReference[]): SymbolReference[] {
  const seen = new Set<string>();
  const unique: SymbolReference[] = [];
  for (const reference of references) {
    const key = `${path.normalize(reference.file)}:${reference.line}:${reference.column}`;
    if (seen.has(key)) continue;
    seen.add(key);
    unique.push(reference);
  }
  return unique;
}
