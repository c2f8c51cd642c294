// Splits one line of G32 assembly into tokens (docs/machine.md, Assembly language; docs/isa.md). The lexer
// knows nothing of mnemonics, registers or directives: it only finds words,
// numbers, strings, characters and punctuation, and ends the line at a comment
// that is not inside a string or character literal.

/** A 1-based column range on one line; `endColumn` is exclusive. */
export interface Span {
  line: number;
  column: number;
  endColumn: number;
}

export type TokenKind = 'ident' | 'number' | 'char' | 'string' | 'punct' | 'eol';

export interface Token extends Span {
  kind: TokenKind;
  /** The source text of the token; empty for `eol`. */
  text: string;
  /** Numbers and characters: the value (0 when the literal was malformed). */
  value: number;
  /** Strings: the bytes after escape processing (UTF-8). */
  bytes?: Uint8Array;
}

export interface LexError extends Span {
  message: string;
}

export interface LexedLine {
  tokens: Token[];
  errors: LexError[];
  /** The line had more than MAX_TOKENS_PER_LINE tokens; the rest was not read (an error says so). */
  isTruncated: boolean;
}

/**
 * Tokens read from one line, 65,536: a `.word` table of thousands of values
 * fits, while one 4 MiB line of `1,1,1,…` (millions of tokens, hundreds of MB
 * while the line is parsed) gets a diagnostic instead.
 */
export const MAX_TOKENS_PER_LINE = 65_536;

/** Multi-character punctuation first so that `<<` is not read as two `<`. */
const PUNCTUATION = ['<<', '>>', ',', ':', '[', ']', '(', ')', '+', '-', '*', '/', '%', '&', '|', '^', '~'];

const ESCAPES: Readonly<Record<string, number>> = { n: 10, t: 9, '\\': 92, "'": 39, '"': 34, '0': 0 };

const IDENT_START = /[A-Za-z_.]/;
const IDENT_PART = /[A-Za-z0-9_.]/;
const WORD_PART = /[A-Za-z0-9_]/;

const encoder = new TextEncoder();

export function lexLine(text: string, lineNumber: number): LexedLine {
  const tokens: Token[] = [];
  const errors: LexError[] = [];
  let index = 0;
  const span = (start: number, end: number): Span => ({ line: lineNumber, column: start + 1, endColumn: end + 1 });

  while (index < text.length) {
    const ch = text[index];
    if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\f' || ch === '\v') {
      index++;
      continue;
    }
    if (ch === ';' || ch === '#') break;
    if (tokens.length >= MAX_TOKENS_PER_LINE) {
      errors.push({ message: `expected at most ${MAX_TOKENS_PER_LINE} tokens on one line, found more (split the line)`, ...span(index, index + 1) });
      const eolColumn = index + 1;
      tokens.push({ kind: 'eol', text: '', value: 0, line: lineNumber, column: eolColumn, endColumn: eolColumn });
      return { tokens, errors, isTruncated: true };
    }
    const start = index;
    if (IDENT_START.test(ch)) {
      while (index < text.length && IDENT_PART.test(text[index])) index++;
      tokens.push({ kind: 'ident', text: text.slice(start, index), value: 0, ...span(start, index) });
      continue;
    }
    if (ch >= '0' && ch <= '9') {
      while (index < text.length && WORD_PART.test(text[index])) index++;
      const literal = text.slice(start, index);
      const parsed = parseNumberLiteral(literal);
      if (typeof parsed === 'string') errors.push({ message: parsed, ...span(start, index) });
      tokens.push({ kind: 'number', text: literal, value: typeof parsed === 'number' ? parsed : 0, ...span(start, index) });
      continue;
    }
    if (ch === '"' || ch === "'") {
      const quoted = readQuoted(text, start);
      index = quoted.end;
      for (const problem of quoted.problems) errors.push({ message: problem.message, ...span(problem.start, problem.end) });
      const tokenText = text.slice(start, index);
      if (ch === '"') {
        const bytes = concatBytes(quoted.pieces.map((piece) => (typeof piece === 'number' ? Uint8Array.of(piece) : encoder.encode(piece))));
        tokens.push({ kind: 'string', text: tokenText, value: 0, bytes, ...span(start, index) });
      } else {
        tokens.push({ kind: 'char', text: tokenText, value: charValue(quoted, tokenText, errors, span(start, index)), ...span(start, index) });
      }
      continue;
    }
    const punct = PUNCTUATION.find((p) => text.startsWith(p, index)) ?? ch;
    index += punct.length;
    tokens.push({ kind: 'punct', text: punct, value: 0, ...span(start, index) });
  }
  const eolColumn = trimmedEnd(text, index) + 1;
  tokens.push({ kind: 'eol', text: '', value: 0, line: lineNumber, column: eolColumn, endColumn: eolColumn });
  return { tokens, errors, isTruncated: false };
}

/** Splits source text into lines; `\r\n`, `\n` and a lone `\r` all end a line. */
export function splitLines(text: string): string[] {
  return text.split(/\r\n|\n|\r/);
}

/** The value of a number literal, or the message explaining why it is not one. */
function parseNumberLiteral(literal: string): number | string {
  let digits: string;
  let radix: number;
  if (/^0[xX]/.test(literal)) {
    digits = literal.slice(2);
    radix = 16;
    if (!/^[0-9A-Fa-f]+$/.test(digits)) return `expected hexadecimal digits after '0x', found '${literal}'`;
  } else if (/^0[bB]/.test(literal)) {
    digits = literal.slice(2);
    radix = 2;
    if (!/^[01]+$/.test(digits)) return `expected binary digits after '0b', found '${literal}'`;
  } else {
    digits = literal;
    radix = 10;
    if (!/^[0-9]+$/.test(digits)) return `expected a number, found '${literal}'`;
  }
  const prefix = radix === 16 ? '0x' : radix === 2 ? '0b' : '';
  const big = BigInt(prefix + digits);
  if (big > 0xffffffffn) return `expected a number at most 0xFFFFFFFF, found '${literal}'`;
  return Number(big);
}

interface QuotedProblem {
  start: number;
  end: number;
  message: string;
}

interface Quoted {
  /** Plain text runs and escaped byte values, in order. */
  pieces: Array<string | number>;
  end: number;
  problems: QuotedProblem[];
  isTerminated: boolean;
}

function readQuoted(text: string, start: number): Quoted {
  const quote = text[start];
  const pieces: Array<string | number> = [];
  const problems: QuotedProblem[] = [];
  let index = start + 1;
  let run = '';
  while (index < text.length && text[index] !== quote) {
    if (text[index] === '\\') {
      const escaped = text[index + 1];
      if (escaped !== undefined && escaped in ESCAPES) {
        if (run) pieces.push(run);
        run = '';
        pieces.push(ESCAPES[escaped]);
        index += 2;
        continue;
      }
      const shown = escaped === undefined ? '\\' : `\\${escaped}`;
      problems.push({ start: index, end: Math.min(index + 2, text.length), message: `expected an escape (\\n \\t \\\\ \\' \\" \\0), found '${shown}'` });
      index += escaped === undefined ? 1 : 2;
      continue;
    }
    run += text[index];
    index++;
  }
  if (run) pieces.push(run);
  const isTerminated = index < text.length;
  if (!isTerminated) {
    problems.push({ start, end: text.length, message: `expected closing ${quote}, found end of line` });
    return { pieces, end: text.length, problems, isTerminated };
  }
  return { pieces, end: index + 1, problems, isTerminated };
}

function charValue(quoted: Quoted, tokenText: string, errors: LexError[], where: Span): number {
  // A character literal is one byte, so only ASCII text or an escape fits; wider
  // characters would need a multi-byte encoding that x86 assemblers disagree on.
  const units: number[] = [];
  for (const piece of quoted.pieces) {
    if (typeof piece === 'number') units.push(piece);
    else for (const ch of piece) units.push(ch.codePointAt(0)!);
  }
  if (quoted.problems.length > 0) return units[0] ?? 0;
  if (units.length !== 1 || units[0] > 0x7f) {
    errors.push({ message: `expected one ASCII character or escape between quotes, found ${tokenText}`, ...where });
    return units[0] ?? 0;
  }
  return units[0];
}

function concatBytes(parts: Uint8Array[]): Uint8Array {
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const result = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    result.set(part, offset);
    offset += part.length;
  }
  return result;
}

/** Index just after the last non-blank character before `limit`. */
function trimmedEnd(text: string, limit: number): number {
  let end = limit;
  while (end > 0 && /\s/.test(text[end - 1])) end--;
  return end;
}

/** Thrown inside the parsers to abandon the rest of a line; never escapes `parseLine`. */
export class LineSyntaxError extends Error {
  constructor(
    readonly span: Span,
    message: string,
  ) {
    super(message);
  }
}

/** Walks the tokens of one line; the last token is always `eol`. */
export class TokenCursor {
  private index = 0;

  constructor(
    readonly tokens: readonly Token[],
    readonly lineText: string,
  ) {}

  peek(offset = 0): Token {
    return this.tokens[Math.min(this.index + offset, this.tokens.length - 1)];
  }

  next(): Token {
    const token = this.peek();
    if (this.index < this.tokens.length - 1) this.index++;
    return token;
  }

  /** The token most recently returned by `next` (the first token if none was). */
  lastConsumed(): Token {
    return this.tokens[Math.max(this.index - 1, 0)];
  }

  isPunct(text: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token.kind === 'punct' && token.text === text;
  }

  expectPunct(text: string, what = `'${text}'`): Token {
    if (!this.isPunct(text)) this.fail(what);
    return this.next();
  }

  isAtEnd(): boolean {
    return this.peek().kind === 'eol';
  }

  /** Stops parsing the line with "expected WHAT, found <next token>". */
  fail(what: string, token: Token = this.peek()): never {
    throw new LineSyntaxError(token, `expected ${what}, found ${describeToken(token)}`);
  }

  /** Source text between two spans of this line. */
  textOf(from: Span, to: Span = from): string {
    return this.lineText.slice(from.column - 1, to.endColumn - 1);
  }
}

export function describeToken(token: Token): string {
  if (token.kind === 'eol') return 'end of line';
  // Quoted literals already show their own quotes.
  if (token.kind === 'string' || token.kind === 'char') return token.text;
  return `'${token.text}'`;
}
