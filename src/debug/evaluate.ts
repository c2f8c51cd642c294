// Expressions of the debug console, watches, hovers and breakpoint
// conditions: registers (`r1`, `sp`, `pc`, `flags`, `cr3`, `evt`, `ksp`), flag
// bits (`CF` ... `IF`), labels (their value), numbers, C operators, and memory
// reads through the guest's page table (`[sp+8]` a word, `byte [r2]` a byte).
// It knows nothing of DAP or the simulator: values and memory arrive through
// an EvalContext.

import { hexWord } from '../machine/format';

export class EvalError extends Error {}

export interface EvalContext {
  register(name: string): number | undefined;
  /** A guest-virtual read; undefined when the address is not mapped. */
  read(address: number, size: 1 | 4): number | undefined;
  symbol(name: string): number | undefined;
}

type Node =
  | { kind: 'num'; value: number }
  | { kind: 'name'; name: string }
  | { kind: 'mem'; size: 1 | 4; address: Node }
  | { kind: 'unary'; op: string; operand: Node }
  | { kind: 'binary'; op: string; left: Node; right: Node };

export const REGISTER_NAMES = ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15', 'sp', 'pc', 'flags', 'cr3', 'evt', 'ksp'];
export const FLAG_NAMES = ['CF', 'ZF', 'SF', 'OF', 'IF'];

const TOKEN = /\s*(0x[0-9a-fA-F]+|0b[01]+|\d+|'(?:\\.|[^'\\])'|[A-Za-z_.][A-Za-z0-9_.]*|<<|>>|<=|>=|==|!=|&&|\|\||[-+*/%&|^~!()[\]<>])/y;

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  let index = 0;
  while (index < text.length) {
    if (/^\s*$/.test(text.slice(index))) break;
    TOKEN.lastIndex = index;
    const match = TOKEN.exec(text);
    if (!match) throw new EvalError(`unexpected '${text.slice(index).trim()[0]}' at column ${index + 1}`);
    tokens.push(match[1]);
    index = TOKEN.lastIndex;
  }
  return tokens;
}

const BINARY_LEVELS: string[][] = [['||'], ['&&'], ['|'], ['^'], ['&'], ['==', '!='], ['<', '<=', '>', '>='], ['<<', '>>'], ['+', '-'], ['*', '/', '%']];

class Parser {
  private index = 0;
  constructor(private readonly tokens: string[]) {}

  parse(): Node {
    if (this.tokens.length === 0) throw new EvalError('empty expression');
    const node = this.binary(0);
    if (this.index < this.tokens.length) throw new EvalError(`unexpected '${this.tokens[this.index]}'`);
    return node;
  }

  private peek(): string | undefined {
    return this.tokens[this.index];
  }

  private expect(token: string): void {
    if (this.tokens[this.index] !== token) throw new EvalError(`expected '${token}'${this.peek() ? `, found '${this.peek()}'` : ' at the end'}`);
    this.index++;
  }

  private binary(level: number): Node {
    if (level === BINARY_LEVELS.length) return this.unary();
    let left = this.binary(level + 1);
    while (this.peek() !== undefined && BINARY_LEVELS[level].includes(this.peek()!)) {
      const op = this.tokens[this.index++];
      left = { kind: 'binary', op, left, right: this.binary(level + 1) };
    }
    return left;
  }

  private unary(): Node {
    const token = this.peek();
    if (token === '-' || token === '~' || token === '!' || token === '+') {
      this.index++;
      return { kind: 'unary', op: token, operand: this.unary() };
    }
    return this.primary();
  }

  private primary(): Node {
    const token = this.tokens[this.index++];
    if (token === undefined) throw new EvalError('expression ends too early');
    if (token === '(') {
      const node = this.binary(0);
      this.expect(')');
      return node;
    }
    if (token === '[') {
      const address = this.binary(0);
      this.expect(']');
      return { kind: 'mem', size: 4, address };
    }
    const lower = token.toLowerCase();
    if ((lower === 'byte' || lower === 'word' || lower === 'dword') && this.peek() === '[') {
      this.index++;
      const address = this.binary(0);
      this.expect(']');
      return { kind: 'mem', size: lower === 'byte' ? 1 : 4, address };
    }
    if (/^0x/i.test(token)) return { kind: 'num', value: parseInt(token.slice(2), 16) >>> 0 };
    if (/^0b/i.test(token)) return { kind: 'num', value: parseInt(token.slice(2), 2) >>> 0 };
    if (/^\d/.test(token)) {
      const value = Number(token);
      if (value > 0xffffffff) throw new EvalError(`${token} does not fit in 32 bits`);
      return { kind: 'num', value };
    }
    if (token.startsWith("'")) return { kind: 'num', value: charValue(token.slice(1, -1)) };
    if (/^[A-Za-z_.]/.test(token)) return { kind: 'name', name: token };
    throw new EvalError(`unexpected '${token}'`);
  }
}

function charValue(body: string): number {
  if (!body.startsWith('\\')) return body.charCodeAt(0);
  const escapes: Record<string, number> = { n: 10, t: 9, r: 13, '0': 0, '\\': 92, "'": 39, '"': 34 };
  return escapes[body[1]] ?? body.charCodeAt(1);
}

export function parseExpression(text: string): Node {
  return new Parser(tokenize(text)).parse();
}

function compute(node: Node, context: EvalContext): number {
  switch (node.kind) {
    case 'num':
      return node.value >>> 0;
    case 'name': {
      const register = context.register(node.name.toLowerCase());
      if (register !== undefined && (REGISTER_NAMES.includes(node.name.toLowerCase()) || FLAG_NAMES.includes(node.name.toUpperCase()))) return register >>> 0;
      const symbol = context.symbol(node.name);
      if (symbol !== undefined) return symbol >>> 0;
      throw new EvalError(`unknown name '${node.name}': not a register, flag or label`);
    }
    case 'mem': {
      const address = compute(node.address, context);
      const value = context.read(address, node.size);
      if (value === undefined) throw new EvalError(`guest virtual address ${hexWord(address)} is not mapped`);
      return value >>> 0;
    }
    case 'unary': {
      const value = compute(node.operand, context);
      switch (node.op) {
        case '-':
          return -value >>> 0;
        case '~':
          return ~value >>> 0;
        case '!':
          return value === 0 ? 1 : 0;
        default:
          return value;
      }
    }
    case 'binary': {
      if (node.op === '&&') return compute(node.left, context) !== 0 && compute(node.right, context) !== 0 ? 1 : 0;
      if (node.op === '||') return compute(node.left, context) !== 0 || compute(node.right, context) !== 0 ? 1 : 0;
      const a = compute(node.left, context);
      const b = compute(node.right, context);
      switch (node.op) {
        case '+':
          return (a + b) >>> 0;
        case '-':
          return (a - b) >>> 0;
        case '*':
          return Math.imul(a, b) >>> 0;
        case '/':
          if (b === 0) throw new EvalError('division by zero');
          return Math.floor(a / b) >>> 0;
        case '%':
          if (b === 0) throw new EvalError('division by zero');
          return (a % b) >>> 0;
        case '<<':
          return (a << (b & 31)) >>> 0;
        case '>>':
          return a >>> (b & 31);
        case '&':
          return (a & b) >>> 0;
        case '|':
          return (a | b) >>> 0;
        case '^':
          return (a ^ b) >>> 0;
        case '==':
          return a === b ? 1 : 0;
        case '!=':
          return a !== b ? 1 : 0;
        case '<':
          return a < b ? 1 : 0;
        case '<=':
          return a <= b ? 1 : 0;
        case '>':
          return a > b ? 1 : 0;
        case '>=':
          return a >= b ? 1 : 0;
      }
      throw new EvalError(`unknown operator '${node.op}'`);
    }
  }
}

/** Evaluates an expression to an unsigned 32-bit value; throws EvalError with a message for the user. */
export function evaluateExpression(text: string, context: EvalContext): number {
  return compute(parseExpression(text), context);
}

/** True when the expression is a plain register name (its value may be an address worth opening). */
export function isRegisterExpression(text: string): boolean {
  return REGISTER_NAMES.includes(text.trim().toLowerCase());
}

/** Logpoint messages: `{expression}` parts are evaluated, `{{` and `}}` are braces. */
export function interpolate(message: string, context: EvalContext): string {
  return message.replace(/\{\{|\}\}|\{([^{}]*)\}/g, (whole, expression: string | undefined) => {
    if (whole === '{{') return '{';
    if (whole === '}}') return '}';
    try {
      const value = evaluateExpression(expression ?? '', context);
      return formatValue(value);
    } catch (e) {
      return `<${(e as Error).message}>`;
    }
  });
}

/** How a 32-bit value is shown: hex, then decimal (signed when negative). */
export function formatValue(value: number): string {
  const signed = value | 0;
  return `${hexWord(value)} (${value >>> 0}${signed < 0 ? ` / ${signed}` : ''})`;
}

/** Parses a hit condition: `N` or `>= N` (from the Nth hit on), `> N`, `== N`, `% N` (every Nth). */
export function parseHitCondition(text: string): (hits: number) => boolean {
  const match = /^\s*(>=|>|==|=|%)?\s*(\d+)\s*$/.exec(text);
  if (!match) throw new EvalError(`hit count '${text}' must be N, >= N, > N, == N or % N`);
  const n = Number(match[2]);
  switch (match[1]) {
    case '>':
      return (hits) => hits > n;
    case '==':
    case '=':
      return (hits) => hits === n;
    case '%':
      return (hits) => n > 0 && hits % n === 0;
    default:
      return (hits) => hits >= n;
  }
}
