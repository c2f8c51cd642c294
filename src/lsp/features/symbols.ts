// Document symbols (outline) of a `.g32` file: its global labels with their
// local labels nested under them, and `.equ` names as constants. The names and
// places come from the assembler's symbol table; a label's range runs to the
// line before the next global label, so the outline follows the cursor.

import { DocumentSymbol, Range, SymbolInformation, SymbolKind } from 'vscode-languageserver';
import { AnalyzedDocument, documentLine, isSameFile, referenceRange } from './analysis';
import { hexWord } from '../../machine/format';
import { NamedSymbol } from './definitionIndex';
import { namesOf } from './nameTable';

type AsmSymbol = NamedSymbol;

export interface SymbolsOptions {
  /** False when the client does not support `DocumentSymbol` trees: a flat `SymbolInformation` list is returned. */
  isHierarchical: boolean;
}

export function documentSymbols(document: AnalyzedDocument, options: SymbolsOptions = { isHierarchical: true }): DocumentSymbol[] | SymbolInformation[] {
  const names = namesOf(document);
  if (!names) return [];
  const own: NamedSymbol[] = [];
  names.forEach((symbol) => {
    if (isSameFile(symbol.file, document.file)) own.push(symbol);
  });
  own.sort((a, b) => a.line - b.line || a.column - b.column);
  const lineCount = document.lineCount ?? document.text.split(/\r\n|\r|\n/).length;
  const globals = own.filter((symbol) => symbol.kind === 'label');

  // A global label's body ends where the next one starts.
  const nextGlobal = new Map<AsmSymbol, AsmSymbol | undefined>();
  globals.forEach((symbol, index) => {
    let next = index + 1;
    while (next < globals.length && globals[next].line <= symbol.line) next++;
    nextGlobal.set(symbol, globals[next]);
  });
  const bodyEnd = (symbol: AsmSymbol): number => {
    const next = nextGlobal.get(symbol);
    return next ? next.line - 1 : lineCount;
  };
  const rangeOf = (symbol: AsmSymbol): Range => {
    const selection = referenceRange(symbol);
    if (symbol.kind !== 'label') return selection;
    const endLine = Math.max(symbol.line, bodyEnd(symbol));
    const endText = endLine - 1 < lineCount ? documentLine(document, endLine - 1) : '';
    return Range.create(selection.start, { line: endLine - 1, character: Math.max(endText.length, endLine === symbol.line ? selection.end.character : 0) });
  };
  const kindOf = (symbol: AsmSymbol): SymbolKind => (symbol.kind === 'equ' ? SymbolKind.Constant : symbol.kind === 'label' ? SymbolKind.Function : SymbolKind.Field);
  const detailOf = (symbol: AsmSymbol): string => {
    const value = symbol.value === undefined ? '?' : hexWord(symbol.value);
    return symbol.kind === 'equ' ? `= ${value}` : value;
  };
  const globalByName = new Map<string, AsmSymbol>();
  for (const global of globals) if (!globalByName.has(global.name)) globalByName.set(global.name, global);
  // A local name is `parent.local`; its parent is the global label it is written under.
  const parentOf = (symbol: AsmSymbol): AsmSymbol | undefined => {
    if (!symbol.displayName.startsWith('.') || symbol.name === symbol.displayName) return undefined;
    const parentName = symbol.name.slice(0, symbol.name.length - symbol.displayName.length);
    return globalByName.get(parentName);
  };

  if (!options.isHierarchical) {
    return own.map((symbol) => {
      const container = parentOf(symbol);
      return SymbolInformation.create(symbol.displayName, kindOf(symbol), rangeOf(symbol), document.uriOf(document.file), container?.displayName);
    });
  }

  const nodes = new Map<AsmSymbol, DocumentSymbol>();
  const roots: DocumentSymbol[] = [];
  for (const symbol of own) {
    const node = DocumentSymbol.create(symbol.displayName, detailOf(symbol), kindOf(symbol), rangeOf(symbol), referenceRange(symbol), []);
    nodes.set(symbol, node);
    const parent = parentOf(symbol);
    const parentNode = parent && nodes.get(parent);
    if (parentNode) {
      parentNode.children!.push(node);
      // A child must lie inside its parent's range.
      if (node.range.end.line > parentNode.range.end.line) parentNode.range = Range.create(parentNode.range.start, node.range.end);
    } else {
      roots.push(node);
    }
  }
  return roots;
}
