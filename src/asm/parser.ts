// Parses one line of G32 assembly into labels and at most one statement
// (docs/machine.md, Assembly language). The parser decides everything that follows from syntax
// alone, including which operand shapes were written; it does not look up
// opcodes, evaluate expressions or know addresses.

import { DIRECTIVES, MNEMONIC_ALIASES, MNEMONICS } from '../machine/isa';
import { Expr, ExprParseContext, SymbolExpr, forEachSymbol, joinSpans, parseExpression, reservedKind, spanOf } from './expr';
import { LexError, LineSyntaxError, Span, Token, TokenCursor, lexLine } from './lexer';

export interface LabelDefinition {
  /** Full name (`main.loop` for `.loop` after `main:`). */
  name: string;
  displayName: string;
  isLocal: boolean;
  span: Span;
}

export type SpecialRegister = 'cr3' | 'evt' | 'ksp' | 'pc' | 'flags';

interface OperandBase {
  span: Span;
  /** The operand as written, for messages. */
  text: string;
}

export type Operand =
  | (OperandBase & { kind: 'reg'; reg: number })
  | (OperandBase & { kind: 'special'; name: SpecialRegister })
  | (OperandBase & { kind: 'imm'; expr: Expr })
  | (OperandBase & { kind: 'mem'; form: 'reg'; base: number })
  | (OperandBase & { kind: 'mem'; form: 'disp'; base: number; expr: Expr })
  | (OperandBase & { kind: 'mem'; form: 'abs'; expr: Expr });

export interface InstructionStatement {
  kind: 'instruction';
  /** Lower case, aliases already replaced (`je` becomes `jz`). */
  mnemonic: string;
  mnemonicSpan: Span;
  operands: Operand[];
  /** From the mnemonic to the last operand. */
  span: Span;
  /** Where the line ends, for "found end of line" messages. */
  endSpan: Span;
}

export type DirectiveStatement =
  | { kind: 'org' | 'align' | 'entry'; expr: Expr; span: Span }
  | { kind: 'space'; size: Expr; fill: Expr | undefined; span: Span }
  | { kind: 'word' | 'byte'; values: Expr[]; span: Span }
  | { kind: 'ascii'; strings: Uint8Array[]; isZeroTerminated: boolean; span: Span }
  | { kind: 'equ'; name: LabelDefinition; expr: Expr; span: Span }
  | { kind: 'include'; path: string; pathSpan: Span; span: Span };

export type Statement = InstructionStatement | DirectiveStatement;

export interface ParsedLine {
  labels: LabelDefinition[];
  statement: Statement | undefined;
  /** Every symbol the statement uses (definitions are in `labels` and `.equ`). */
  uses: SymbolExpr[];
  errors: LexError[];
  /** The global label that local labels on following lines belong to. */
  parentAfter: string | undefined;
}

const GENERAL_REGISTERS = new Map<string, number>([...Array.from({ length: 16 }, (_, n) => [`r${n}`, n] as const), ['sp', 15]]);

const SPECIAL_REGISTERS: readonly SpecialRegister[] = ['cr3', 'evt', 'ksp', 'pc', 'flags'];

const MNEMONIC_SET = new Set(MNEMONICS);
const DIRECTIVE_SET = new Set(DIRECTIVES);

export function generalRegisterNumber(name: string): number | undefined {
  return GENERAL_REGISTERS.get(name.toLowerCase());
}

/**
 * Parses one line. `parent` is the last global label before this line; local
 * names are qualified with it (or with a global label defined earlier on the
 * same line).
 */
export function parseLine(text: string, lineNumber: number, parent: string | undefined): ParsedLine {
  const lexed = lexLine(text, lineNumber);
  const errors: LexError[] = [...lexed.errors];
  const cursor = new TokenCursor(lexed.tokens, text);
  const labels: LabelDefinition[] = [];
  let currentParent = parent;
  const context: ExprParseContext = { qualify: (name) => qualifyName(name, currentParent) };
  let statement: Statement | undefined;
  // A line cut short by the token limit is not parsed: its one error is the lexer's.
  if (lexed.isTruncated) return { labels, statement, uses: [], errors, parentAfter: currentParent };

  try {
    while (cursor.peek().kind === 'ident' && cursor.isPunct(':', 1)) {
      const token = cursor.next();
      cursor.next();
      const reserved = reservedKind(token.text);
      if (reserved !== undefined) {
        // Keep parsing so the instruction after the bad label still takes its space.
        errors.push({ ...spanOf(token), message: `expected a label name, found ${reserved} '${token.text}' (reserved)` });
        continue;
      }
      const isLocal = token.text.startsWith('.');
      labels.push({ name: qualifyName(token.text, currentParent), displayName: token.text, isLocal, span: spanOf(token) });
      if (!isLocal) currentParent = token.text;
    }
    statement = parseStatement(cursor, context, currentParent);
  } catch (error) {
    if (!(error instanceof LineSyntaxError)) throw error;
    errors.push({ ...error.span, message: error.message });
  }

  const uses: SymbolExpr[] = [];
  if (statement) forEachExpr(statement, (expr) => forEachSymbol(expr, (symbol) => uses.push(symbol)));
  return { labels, statement, uses, errors, parentAfter: currentParent };
}

export function qualifyName(name: string, parent: string | undefined): string {
  return name.startsWith('.') && parent !== undefined ? parent + name : name;
}

/** Visits every expression of a statement in source order. */
export function forEachExpr(statement: Statement, visit: (expr: Expr) => void): void {
  switch (statement.kind) {
    case 'instruction':
      for (const operand of statement.operands) if ('expr' in operand) visit(operand.expr);
      break;
    case 'org':
    case 'align':
    case 'entry':
    case 'equ':
      visit(statement.expr);
      break;
    case 'space':
      visit(statement.size);
      if (statement.fill) visit(statement.fill);
      break;
    case 'word':
    case 'byte':
      statement.values.forEach(visit);
      break;
    case 'ascii':
    case 'include':
      break;
  }
}

function parseStatement(cursor: TokenCursor, context: ExprParseContext, parent: string | undefined): Statement | undefined {
  const first = cursor.peek();
  if (first.kind === 'eol') return undefined;
  if (first.kind !== 'ident') return cursor.fail('a label, instruction or directive');
  const word = first.text.toLowerCase();
  if (word.startsWith('.')) {
    if (!DIRECTIVE_SET.has(word)) {
      return cursor.fail(`a directive (${DIRECTIVES.join(' ')}) or a label followed by ':'`);
    }
    cursor.next();
    const statement = parseDirective(word, first, cursor, context, parent);
    expectEndOfLine(cursor);
    return statement;
  }
  if (!MNEMONIC_SET.has(word)) return cursor.fail("an instruction, a directive or a label followed by ':'");
  cursor.next();
  const operands: Operand[] = [];
  if (!cursor.isAtEnd()) {
    operands.push(parseOperand(cursor, context));
    while (cursor.isPunct(',')) {
      cursor.next();
      operands.push(parseOperand(cursor, context));
    }
  }
  const endSpan = spanOf(cursor.peek());
  expectEndOfLine(cursor);
  const last = operands.length > 0 ? operands[operands.length - 1].span : first;
  return {
    kind: 'instruction',
    mnemonic: MNEMONIC_ALIASES[word] ?? word,
    mnemonicSpan: spanOf(first),
    operands,
    span: joinSpans(first, last),
    endSpan,
  };
}

function expectEndOfLine(cursor: TokenCursor): void {
  if (!cursor.isAtEnd()) cursor.fail("',' or end of line");
}

function parseDirective(name: string, nameToken: Token, cursor: TokenCursor, context: ExprParseContext, parent: string | undefined): DirectiveStatement {
  const start = spanOf(nameToken);
  const spanTo = (end: Span): Span => joinSpans(start, end);
  switch (name) {
    case '.org':
    case '.align':
    case '.entry': {
      const expr = parseExpression(cursor, context);
      return { kind: name === '.org' ? 'org' : name === '.align' ? 'align' : 'entry', expr, span: spanTo(expr.span) };
    }
    case '.space': {
      const size = parseExpression(cursor, context);
      let fill: Expr | undefined;
      if (cursor.isPunct(',')) {
        cursor.next();
        fill = parseExpression(cursor, context);
      }
      return { kind: 'space', size, fill, span: spanTo((fill ?? size).span) };
    }
    case '.word':
    case '.byte': {
      const values = [parseExpression(cursor, context)];
      while (cursor.isPunct(',')) {
        cursor.next();
        values.push(parseExpression(cursor, context));
      }
      return { kind: name === '.word' ? 'word' : 'byte', values, span: spanTo(values[values.length - 1].span) };
    }
    case '.ascii':
    case '.asciz': {
      const strings = [expectString(cursor)];
      while (cursor.isPunct(',')) {
        cursor.next();
        strings.push(expectString(cursor));
      }
      return { kind: 'ascii', strings: strings.map((token) => token.bytes!), isZeroTerminated: name === '.asciz', span: spanTo(strings[strings.length - 1]) };
    }
    case '.equ': {
      const nameTok = cursor.peek();
      if (nameTok.kind !== 'ident') cursor.fail('a name');
      const reserved = reservedKind(nameTok.text);
      if (reserved !== undefined) cursor.fail(`a name (${reserved} names are reserved)`);
      cursor.next();
      cursor.expectPunct(',');
      const expr = parseExpression(cursor, context);
      const definition: LabelDefinition = {
        name: qualifyName(nameTok.text, parent),
        displayName: nameTok.text,
        isLocal: nameTok.text.startsWith('.'),
        span: spanOf(nameTok),
      };
      return { kind: 'equ', name: definition, expr, span: spanTo(expr.span) };
    }
    case '.include': {
      const pathToken = expectString(cursor);
      return { kind: 'include', path: new TextDecoder().decode(pathToken.bytes), pathSpan: spanOf(pathToken), span: spanTo(pathToken) };
    }
    default:
      return cursor.fail('a directive');
  }
}

function expectString(cursor: TokenCursor): Token {
  if (cursor.peek().kind !== 'string') cursor.fail('a string in double quotes');
  return cursor.next();
}

function parseOperand(cursor: TokenCursor, context: ExprParseContext): Operand {
  const first = cursor.peek();
  const finish = <T extends object>(fields: T): T & OperandBase => {
    const last = cursor.lastConsumed();
    // Completes the fresh literal in place: a spread copy per operand showed in profiles of large sources.
    return Object.assign(fields, { span: joinSpans(first, last), text: cursor.textOf(first, last) });
  };
  if (first.kind === 'ident') {
    const reg = generalRegisterNumber(first.text);
    if (reg !== undefined) {
      cursor.next();
      return finish({ kind: 'reg', reg });
    }
    const special = SPECIAL_REGISTERS.find((name) => name === first.text.toLowerCase());
    if (special !== undefined) {
      cursor.next();
      return finish({ kind: 'special', name: special });
    }
  }
  if (first.kind === 'punct' && first.text === '[') {
    cursor.next();
    const inner = cursor.peek();
    if (inner.kind === 'ident') {
      const base = generalRegisterNumber(inner.text);
      if (base !== undefined) {
        cursor.next();
        if (cursor.isPunct(']')) {
          cursor.next();
          return finish({ kind: 'mem', form: 'reg', base });
        }
        const sign = cursor.peek();
        if (!(cursor.isPunct('+') || cursor.isPunct('-'))) cursor.fail("'+', '-' or ']'");
        // Reading the displacement as `0 ± rest` keeps C precedence and
        // associativity for everything after the sign: [r1 - 4 + 2] is r1 - 2.
        const zero: Expr = { kind: 'number', value: 0, span: spanOf(sign) };
        const expr = parseExpression(cursor, context, zero);
        cursor.expectPunct(']');
        return finish({ kind: 'mem', form: 'disp', base, expr });
      }
      if (reservedKind(inner.text) === 'register') cursor.fail('a general register (r0-r15, sp) or an address expression');
    }
    const expr = parseExpression(cursor, context);
    cursor.expectPunct(']');
    return finish({ kind: 'mem', form: 'abs', expr });
  }
  const expr = parseExpression(cursor, context);
  return finish({ kind: 'imm', expr });
}
