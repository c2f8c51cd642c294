// Assembly-time expressions (docs/isa.md, Expressions): parsing with C precedence and
// evaluation in unsigned 32-bit arithmetic, wrapped after every operation.
// This module does not know where symbols are defined: the caller qualifies
// local names while parsing and resolves names while evaluating.

import { DIRECTIVES, MNEMONICS, REGISTER_NAMES } from '../machine/isa';
import { Span, Token, TokenCursor } from './lexer';

export type UnaryOp = '-' | '~' | '+';
export type BinaryOp = '|' | '^' | '&' | '<<' | '>>' | '+' | '-' | '*' | '/' | '%';

export type Expr =
  { kind: 'number'; value: number; span: Span } | SymbolExpr | { kind: 'unary'; op: UnaryOp; operand: Expr; span: Span } | { kind: 'binary'; op: BinaryOp; left: Expr; right: Expr; span: Span };

export interface SymbolExpr {
  kind: 'symbol';
  /** Full name: a local `.x` written after global `main` is `main.x`. */
  name: string;
  /** As written in the source. */
  displayName: string;
  span: Span;
}

/** Binding strength of each binary operator; higher binds tighter (C order). */
const PRECEDENCE: Readonly<Record<BinaryOp, number>> = {
  '|': 1,
  '^': 2,
  '&': 3,
  '<<': 4,
  '>>': 4,
  '+': 5,
  '-': 5,
  '*': 6,
  '/': 6,
  '%': 6,
};

export type ReservedKind = 'register' | 'mnemonic' | 'directive';

const RESERVED = new Map<string, ReservedKind>([
  ...REGISTER_NAMES.map((name) => [name, 'register'] as const),
  ...MNEMONICS.map((name) => [name, 'mnemonic'] as const),
  ...DIRECTIVES.map((name) => [name, 'directive'] as const),
]);

/** Registers, mnemonics and directives are reserved in any letter case (§8). */
export function reservedKind(name: string): ReservedKind | undefined {
  return RESERVED.get(name.toLowerCase());
}

/**
 * Parentheses and unary operators nest at most this deep in one expression, so
 * that `((((…` 3,000 deep or 100,000 `-` signs get a diagnostic instead of
 * exhausting the stack. Long flat chains (`1+1+…`, 10,000 terms) have no limit:
 * they are parsed, evaluated and walked iteratively.
 */
export const MAX_EXPRESSION_NESTING = 256;

export interface ExprParseContext {
  /** Turns a name as written into its full name (local labels get their parent's prefix). */
  qualify(name: string): string;
}

/**
 * Parses an expression. With `seed`, parsing continues as if `seed` had already
 * been read as the left operand; memory operands use this so that
 * `[r1 - 4 + 2]` means r1 + (0 - 4 + 2).
 */
export function parseExpression(cursor: TokenCursor, context: ExprParseContext, seed?: Expr): Expr {
  return parseNested(cursor, context, 0, seed);
}

/** `nesting`: parentheses and unary operators around this point. */
function parseNested(cursor: TokenCursor, context: ExprParseContext, nesting: number, seed?: Expr): Expr {
  return parseBinary(cursor, context, 1, seed ?? parseUnary(cursor, context, nesting), nesting);
}

function parseBinary(cursor: TokenCursor, context: ExprParseContext, minPrecedence: number, left: Expr, nesting: number): Expr {
  for (;;) {
    const op = binaryOperatorAt(cursor.peek());
    if (op === undefined || PRECEDENCE[op] < minPrecedence) return left;
    cursor.next();
    let right = parseUnary(cursor, context, nesting);
    for (;;) {
      const nextOp = binaryOperatorAt(cursor.peek());
      if (nextOp === undefined || PRECEDENCE[nextOp] <= PRECEDENCE[op]) break;
      right = parseBinary(cursor, context, PRECEDENCE[op] + 1, right, nesting);
    }
    left = { kind: 'binary', op, left, right, span: joinSpans(left.span, right.span) };
  }
}

function parseUnary(cursor: TokenCursor, context: ExprParseContext, nesting: number): Expr {
  const token = cursor.peek();
  if (token.kind === 'punct' && (token.text === '-' || token.text === '~' || token.text === '+')) {
    checkNesting(cursor, nesting);
    cursor.next();
    const operand = parseUnary(cursor, context, nesting + 1);
    return { kind: 'unary', op: token.text, operand, span: joinSpans(token, operand.span) };
  }
  return parsePrimary(cursor, context, nesting);
}

function checkNesting(cursor: TokenCursor, nesting: number): void {
  if (nesting >= MAX_EXPRESSION_NESTING) cursor.fail(`parentheses and unary operators nested at most ${MAX_EXPRESSION_NESTING} deep`);
}

function parsePrimary(cursor: TokenCursor, context: ExprParseContext, nesting: number): Expr {
  const token = cursor.peek();
  switch (token.kind) {
    case 'number':
    case 'char':
      cursor.next();
      return { kind: 'number', value: token.value, span: spanOf(token) };
    case 'ident': {
      const reserved = reservedKind(token.text);
      if (reserved !== undefined) cursor.fail(`an expression (a ${reserved} name is not a value)`);
      cursor.next();
      return { kind: 'symbol', name: context.qualify(token.text), displayName: token.text, span: spanOf(token) };
    }
    case 'punct':
      if (token.text === '(') {
        checkNesting(cursor, nesting);
        cursor.next();
        const inner = parseNested(cursor, context, nesting + 1);
        cursor.expectPunct(')');
        return inner;
      }
      break;
    default:
      break;
  }
  return cursor.fail('an expression');
}

function binaryOperatorAt(token: Token): BinaryOp | undefined {
  if (token.kind !== 'punct') return undefined;
  return token.text in PRECEDENCE ? (token.text as BinaryOp) : undefined;
}

export function spanOf(span: Span): Span {
  return { line: span.line, column: span.column, endColumn: span.endColumn };
}

export function joinSpans(first: Span, last: Span): Span {
  return { line: first.line, column: first.column, endColumn: last.endColumn };
}

/**
 * The binary nodes down the left edge of `expr`, innermost first, and the
 * operand at the bottom: `1+2+3` is ((1+2)+3), a left spine as long as the
 * chain, which callers walk with a loop instead of recursion.
 */
function leftSpine(expr: Expr & { kind: 'binary' }): { bottom: Expr; spine: Array<Expr & { kind: 'binary' }> } {
  const spine: Array<Expr & { kind: 'binary' }> = [];
  let node: Expr = expr;
  while (node.kind === 'binary') {
    spine.push(node);
    node = node.left;
  }
  spine.reverse();
  return { bottom: node, spine };
}

/** Calls `visit` for every symbol the expression names, left to right. */
export function forEachSymbol(expr: Expr, visit: (symbol: SymbolExpr) => void): void {
  switch (expr.kind) {
    case 'symbol':
      visit(expr);
      break;
    case 'unary':
      forEachSymbol(expr.operand, visit);
      break;
    case 'binary': {
      const { bottom, spine } = leftSpine(expr);
      forEachSymbol(bottom, visit);
      for (const node of spine) forEachSymbol(node.right, visit);
      break;
    }
    case 'number':
      break;
  }
}

export interface EvalContext {
  /** The value of a symbol, or undefined after reporting why there is none. */
  resolve(symbol: SymbolExpr): number | undefined;
  report(span: Span, message: string): void;
}

/**
 * Evaluates in unsigned 32-bit arithmetic. Returns undefined when any part
 * failed; every failure has been reported (both operands are always evaluated
 * so that one line shows all its errors).
 */
export function evaluate(expr: Expr, context: EvalContext): number | undefined {
  switch (expr.kind) {
    case 'number':
      return expr.value >>> 0;
    case 'symbol': {
      const value = context.resolve(expr);
      return value === undefined ? undefined : value >>> 0;
    }
    case 'unary': {
      const operand = evaluate(expr.operand, context);
      if (operand === undefined) return undefined;
      if (expr.op === '-') return (0 - operand) >>> 0;
      if (expr.op === '~') return ~operand >>> 0;
      return operand;
    }
    case 'binary': {
      const { bottom, spine } = leftSpine(expr);
      let left = evaluate(bottom, context);
      for (const node of spine) {
        const right = evaluate(node.right, context);
        if (left === undefined || right === undefined) {
          left = undefined;
          continue;
        }
        if ((node.op === '/' || node.op === '%') && right === 0) {
          context.report(node.right.span, `expected a non-zero ${node.op === '/' ? 'divisor' : 'modulus'}, found 0`);
          left = undefined;
          continue;
        }
        left = applyBinary(node.op, left, right);
      }
      return left;
    }
  }
}

export function applyBinary(op: BinaryOp, left: number, right: number): number {
  switch (op) {
    case '|':
      return (left | right) >>> 0;
    case '^':
      return (left ^ right) >>> 0;
    case '&':
      return (left & right) >>> 0;
    case '<<':
      return (left << (right & 31)) >>> 0;
    case '>>':
      return left >>> (right & 31);
    case '+':
      return (left + right) >>> 0;
    case '-':
      return (left - right) >>> 0;
    case '*':
      return Math.imul(left, right) >>> 0;
    // Operands are unsigned, so truncating division is C's unsigned division.
    case '/':
      return Math.floor(left / right) >>> 0;
    case '%':
      return (left % right) >>> 0;
  }
}
