// Where features look names up: the definitions of a program with their
// places and values. Either straight from one assembly (exact, as of that
// assembly), or "live": the documents open in the editor are read from their
// definition indexes (so places follow every keystroke) and everything else,
// values included, comes from the last assembly of the program, which may be
// a few edits old.

import { AsmSymbol, AssembleResult } from '../../asm';
import { AnalyzedDocument, isSameFile, parentAt } from './analysis';
import { DefinitionIndex, NameFilter, NamedSymbol } from './definitionIndex';

export interface NameTable {
  /** The definition of a full name. */
  find(name: string): NamedSymbol | undefined;
  /** The global label that local names on `line` (1-based) of `file` belong to. */
  parentAt(file: string, line: number): string | undefined;
  /** Visits every definition of the program that `accept` takes (all by default) until `visit` returns false. */
  forEach(visit: (symbol: NamedSymbol) => boolean | void, accept?: NameFilter): void;
  /** The local labels in scope on `line` (1-based) of `file`. */
  localsAt(file: string, line: number): NamedSymbol[];
}

function assembledLocals(result: AssembledSymbols, file: string, line: number): NamedSymbol[] {
  const parent = parentAt(result, file, line);
  if (parent === undefined) return [];
  return result.symbols.filter((symbol) => symbol.kind === 'local-label' && symbol.name === parent + symbol.displayName);
}

/** What live names need of an assembly. */
export type AssembledSymbols = Pick<AssembleResult, 'files' | 'symbols'>;

const byNameCache = new WeakMap<AssembledSymbols, Map<string, AsmSymbol>>();

/** The assembly's symbols by full name, built once per assembly (the server builds it when a diagnosis arrives). */
export function symbolsByName(result: AssembledSymbols): Map<string, AsmSymbol> {
  let byName = byNameCache.get(result);
  if (!byName) {
    byName = new Map(result.symbols.map((symbol) => [symbol.name, symbol]));
    byNameCache.set(result, byName);
  }
  return byName;
}

/** The names of one assembly. */
export function assembledNames(result: AssembleResult): NameTable {
  return {
    find: (name) => symbolsByName(result).get(name),
    parentAt: (file, line) => parentAt(result, file, line),
    forEach: (visit, accept) => {
      for (const symbol of result.symbols) if ((!accept || accept(symbol.displayName, symbol.kind)) && visit(symbol) === false) return;
    },
    localsAt: (file, line) => assembledLocals(result, file, line),
  };
}

/**
 * The names of the program `indexes[0].file` belongs to, with the open
 * documents' definitions read from their indexes and the rest (and every
 * value) from `assembly`, the last assembly of that program, if any.
 */
export function liveNames(indexes: readonly DefinitionIndex[], assembly: AssembledSymbols | undefined): NameTable {
  // The open documents that are part of the program, the current one first.
  const program = indexes.filter((index, position) => position === 0 || (assembly?.files.some((file) => isSameFile(file, index.file)) ?? false));
  const indexByFile = new Map<string, DefinitionIndex | undefined>();
  const indexOf = (file: string): DefinitionIndex | undefined => {
    // Symbols repeat their file, so each path is compared once.
    if (!indexByFile.has(file))
      indexByFile.set(
        file,
        program.find((index) => isSameFile(index.file, file)),
      );
    return indexByFile.get(file);
  };
  const valued = (symbol: NamedSymbol): NamedSymbol => {
    const assembled = assembly && symbolsByName(assembly).get(symbol.name);
    return assembled && assembled.kind === symbol.kind ? { ...symbol, value: assembled.value } : symbol;
  };
  return {
    find: (name) => {
      for (const index of program) {
        const found = index.find(name);
        if (found) return valued(found);
      }
      const assembled = assembly && symbolsByName(assembly).get(name);
      return assembled && !indexOf(assembled.file) ? assembled : undefined;
    },
    parentAt: (file, line) => {
      const index = indexOf(file);
      if (index) return index.parentAt(line);
      return assembly ? parentAt(assembly, file, line) : undefined;
    },
    forEach: (visit, accept) => {
      let isStopped = false;
      for (const index of program) {
        index.forEach((symbol) => {
          if (visit(valued(symbol)) === false) isStopped = true;
          return !isStopped;
        }, accept);
        if (isStopped) return;
      }
      if (!assembly) return;
      for (const symbol of assembly.symbols) {
        if ((accept && !accept(symbol.displayName, symbol.kind)) || indexOf(symbol.file)) continue;
        if (visit(symbol) === false) return;
      }
    },
    localsAt: (file, line) => {
      const index = indexOf(file);
      if (index) return index.localsAt(line).map(valued);
      return assembly ? assembledLocals(assembly, file, line) : [];
    },
  };
}

/** The document's names: the live ones when the server gave them, else those of its assembly. */
export function namesOf(document: AnalyzedDocument): NameTable | undefined {
  return document.names ?? (document.result ? assembledNames(document.result) : undefined);
}
