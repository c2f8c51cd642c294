// The names a document defines, kept per line so that an edit re-reads only
// the lines it touched. A line's facts follow from its text alone (labels at
// its start, the name of an `.equ`), with the same lexical rules as the
// assembler; which global label a local name belongs to is worked out when the
// index is read, from the lines above. Hover, completion, go-to-definition and
// the outline are answered from this and from the values of the last full
// assembly, so typing never waits for one.

import { SymbolKind } from '../../asm';
import { DIRECTIVES, MNEMONICS, REGISTER_NAMES } from '../../machine/isa';

/** A label or `.equ` name; `value` is undefined until an assembly has given it one. */
export interface NamedSymbol {
  /** Full name (`main.loop`). */
  name: string;
  /** As written (`.loop`). */
  displayName: string;
  kind: SymbolKind;
  value: number | undefined;
  file: string;
  /** 1-based, like the assembler's. */
  line: number;
  column: number;
  endColumn: number;
}

interface WrittenName {
  text: string;
  /** 0-based start and exclusive end in the line. */
  start: number;
  end: number;
}

/** What one line defines. Most lines define nothing and share `NOTHING`. */
interface LineFacts {
  labels: readonly WrittenName[];
  equ: WrittenName | undefined;
}

const NOTHING: LineFacts = Object.freeze({ labels: [], equ: undefined });

const RESERVED = new Set([...REGISTER_NAMES, ...MNEMONICS, ...DIRECTIVES]);

function isIdentStart(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95 || code === 46;
}

function isIdentPart(code: number): boolean {
  return isIdentStart(code) || (code >= 48 && code <= 57);
}

function skipBlanks(text: string, from: number): number {
  let index = from;
  while (index < text.length) {
    const code = text.charCodeAt(index);
    if (code !== 32 && code !== 9 && code !== 13 && code !== 12 && code !== 11) break;
    index++;
  }
  return index;
}

function readName(text: string, from: number): WrittenName | undefined {
  if (from >= text.length || !isIdentStart(text.charCodeAt(from))) return undefined;
  let end = from + 1;
  while (end < text.length && isIdentPart(text.charCodeAt(end))) end++;
  return { text: text.slice(from, end), start: from, end };
}

/** The labels and `.equ` name a line defines, read the way the assembler's parser reads them. */
export function definitionsOn(lineText: string): LineFacts {
  let labels: WrittenName[] | undefined;
  let index = skipBlanks(lineText, 0);
  for (;;) {
    const word = readName(lineText, index);
    if (!word) break;
    const after = skipBlanks(lineText, word.end);
    if (lineText[after] === ':') {
      // A reserved word before ':' is an error, not a label.
      if (!RESERVED.has(word.text.toLowerCase())) (labels ??= []).push(word);
      index = skipBlanks(lineText, after + 1);
      continue;
    }
    if (word.text.toLowerCase() === '.equ') {
      const name = readName(lineText, after);
      if (name && !RESERVED.has(name.text.toLowerCase())) return { labels: labels ?? [], equ: name };
    }
    break;
  }
  return labels ? { labels, equ: undefined } : NOTHING;
}

/** Whether a name, as written and of this kind, is wanted. */
export type NameFilter = (displayName: string, kind: SymbolKind) => boolean;

const acceptAll: NameFilter = () => true;

function qualify(name: string, parent: string | undefined): string {
  return name.startsWith('.') && parent !== undefined ? parent + name : name;
}

export class DefinitionIndex {
  private facts: LineFacts[];

  constructor(
    readonly file: string,
    lines: readonly string[],
  ) {
    this.facts = lines.map(definitionsOn);
  }

  get lineCount(): number {
    return this.facts.length;
  }

  /** Replaces `count` lines from `first` (0-based) with the facts of `lines`. */
  replaceLines(first: number, count: number, lines: readonly string[]): void {
    const replacement = lines.map(definitionsOn);
    if (replacement.length < 10_000) this.facts.splice(first, count, ...replacement);
    else this.facts = [...this.facts.slice(0, first), ...replacement, ...this.facts.slice(first + count)];
  }

  /** The global label that local names on `line` (1-based) belong to: the last one at or above it. */
  parentAt(line: number): string | undefined {
    for (let index = Math.min(line, this.facts.length) - 1; index >= 0; index--) {
      const labels = this.facts[index].labels;
      for (let position = labels.length - 1; position >= 0; position--) {
        if (!labels[position].text.startsWith('.')) return labels[position].text;
      }
    }
    return undefined;
  }

  /**
   * Visits every definition in line order until `visit` returns false.
   * Values are left undefined. `accept` skips names by how they are written
   * before any symbol is built (a file can define a hundred thousand names).
   */
  forEach(visit: (symbol: NamedSymbol) => boolean | void, accept: NameFilter = acceptAll): void {
    let parent: string | undefined;
    for (let index = 0; index < this.facts.length; index++) {
      const facts = this.facts[index];
      if (facts === NOTHING) continue;
      for (const label of facts.labels) {
        const isLocal = label.text.startsWith('.');
        const kind = isLocal ? 'local-label' : 'label';
        if (accept(label.text, kind) && visit(this.symbol(qualify(label.text, parent), label, kind, index)) === false) return;
        if (!isLocal) parent = label.text;
      }
      const equ = facts.equ;
      if (equ && accept(equ.text, 'equ') && visit(this.symbol(qualify(equ.text, parent), equ, 'equ', index)) === false) return;
    }
  }

  /** The local labels in scope on `line` (1-based): those after the global label above it, up to the next one. */
  localsAt(line: number): NamedSymbol[] {
    // Back to the last global label at or above the line...
    for (let index = Math.min(line, this.facts.length) - 1; index >= 0; index--) {
      const labels = this.facts[index].labels;
      for (let position = labels.length - 1; position >= 0; position--) {
        if (!labels[position].text.startsWith('.')) return this.localsFrom(labels[position].text, index, position + 1);
      }
    }
    return [];
  }

  /** ...then forward from just after it to the next global label. */
  private localsFrom(parent: string, line: number, position: number): NamedSymbol[] {
    const locals: NamedSymbol[] = [];
    for (let index = line; index < this.facts.length; index++) {
      const labels = this.facts[index].labels;
      for (let at = index === line ? position : 0; at < labels.length; at++) {
        if (!labels[at].text.startsWith('.')) return locals;
        locals.push(this.symbol(parent + labels[at].text, labels[at], 'local-label', index));
      }
    }
    return locals;
  }

  /** The first definition of a full name, or undefined. */
  find(name: string): NamedSymbol | undefined {
    let found: NamedSymbol | undefined;
    // Only a name that ends with what was written can match, so most lines are skipped without building a symbol.
    this.forEach(
      (symbol) => {
        if (symbol.name !== name) return true;
        found = symbol;
        return false;
      },
      (written) => name.endsWith(written),
    );
    return found;
  }

  private symbol(name: string, written: WrittenName, kind: SymbolKind, index: number): NamedSymbol {
    return { name, displayName: written.text, kind, value: undefined, file: this.file, line: index + 1, column: written.start + 1, endColumn: written.end + 1 };
  }
}
