// The few lexical facts the language server reads from a line itself: the word
// under the cursor, where a comment starts, and which slot of a statement the
// cursor is in (label, mnemonic or directive, operand). Everything about
// meaning (names, values, errors) comes from the assembler; this module never
// decides whether a line is valid.

export interface Word {
  text: string;
  /** 0-based, UTF-16 units like LSP positions. */
  start: number;
  /** Exclusive. */
  end: number;
}

const WORD_CHAR = /[A-Za-z0-9_.]/;

/** The identifier-like word touching `character` (the cursor may sit just after it). */
export function wordAt(lineText: string, character: number): Word | undefined {
  let start = Math.min(character, lineText.length);
  let end = start;
  while (start > 0 && WORD_CHAR.test(lineText[start - 1])) start--;
  while (end < lineText.length && WORD_CHAR.test(lineText[end])) end++;
  if (start === end) return undefined;
  return { text: lineText.slice(start, end), start, end };
}

/** Where the code of a line ends: the index of its `;` or `#` comment, or the line length. `;`/`#` inside quotes are text (docs/isa.md: Literals and strings). */
export function codeEnd(lineText: string): number {
  return scan(lineText).codeEnd;
}

interface ScanResult {
  codeEnd: number;
  /** [start, end) ranges of string and character literals. */
  literals: Array<[number, number]>;
}

function scan(lineText: string): ScanResult {
  const literals: Array<[number, number]> = [];
  let index = 0;
  while (index < lineText.length) {
    const char = lineText[index];
    if (char === ';' || char === '#') return { codeEnd: index, literals };
    if (char === '"' || char === "'") {
      const start = index;
      index++;
      while (index < lineText.length && lineText[index] !== char) index += lineText[index] === '\\' ? 2 : 1;
      index = Math.min(index + 1, lineText.length);
      literals.push([start, index]);
      continue;
    }
    index++;
  }
  return { codeEnd: lineText.length, literals };
}

export interface StatementShape {
  /** Words followed by ':' at the start of the line. */
  labels: Word[];
  /** The mnemonic or directive, when there is one. */
  head: Word | undefined;
  /** Operand texts split at top-level commas, trimmed. */
  operands: Word[];
}

/** Splits a line into its label, head and operand slots without judging them. */
export function statementShape(lineText: string): StatementShape {
  const { codeEnd: end, literals } = scan(lineText);
  const labels: Word[] = [];
  let index = skipSpaces(lineText, 0, end);
  for (;;) {
    const word = wordAt(lineText.slice(0, end), index);
    if (!word || word.start !== index) break;
    const after = skipSpaces(lineText, word.end, end);
    if (lineText[after] !== ':') break;
    labels.push(word);
    index = skipSpaces(lineText, after + 1, end);
  }
  const headWord = wordAt(lineText.slice(0, end), index);
  const head = headWord && headWord.start === index ? headWord : undefined;
  const operands: Word[] = [];
  if (head) {
    const isInLiteral = (position: number): boolean => literals.some(([start, stop]) => position >= start && position < stop);
    let depth = 0;
    let segmentStart = head.end;
    for (let position = head.end; position <= end; position++) {
      const char = lineText[position];
      if (position < end && isInLiteral(position)) continue;
      if (char === '[' || char === '(') depth++;
      else if (char === ']' || char === ')') depth = Math.max(0, depth - 1);
      if (position === end || (char === ',' && depth === 0)) {
        const raw = lineText.slice(segmentStart, position);
        const leading = raw.length - raw.trimStart().length;
        const text = raw.trim();
        if (text || position < end || operands.length > 0) {
          operands.push({ text, start: segmentStart + leading, end: segmentStart + leading + text.length });
        }
        segmentStart = position + 1;
      }
    }
  }
  return { labels, head, operands };
}

export type CursorSlot = 'comment' | 'literal' | 'label' | 'head' | 'operand';

/** Which slot of the statement the cursor is in, for completion. */
export function cursorSlot(lineText: string, character: number): CursorSlot {
  const { codeEnd: end, literals } = scan(lineText);
  if (character > end) return 'comment';
  if (literals.some(([start, stop]) => character > start && character < stop)) return 'literal';
  const shape = statementShape(lineText);
  if (shape.labels.some((label) => character >= label.start && character <= label.end)) return 'label';
  if (!shape.head) return 'head';
  if (character <= shape.head.end) return 'head';
  return 'operand';
}

function skipSpaces(text: string, from: number, end: number): number {
  let index = from;
  while (index < end && (text[index] === ' ' || text[index] === '\t')) index++;
  return index;
}
