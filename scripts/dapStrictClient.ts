// A strict DAP client for hyperstep's adapter (or any build of it): it talks
// to `node ADAPTER` over stdio, tries every request of the protocol, claimed
// or not, with good and bad arguments, and checks each answer two ways:
//
// - against the protocol's schema: the required fields and JSON types of every
//   response and event, derived from the protocol's own type definitions
//   (`@vscode/debugprotocol`'s debugProtocol.d.ts, which is generated from the
//   official JSON schema; the package ships no JSON file);
// - against what the request must do: good arguments succeed, bad ones are
//   refused with a message, a request the adapter does not claim in its
//   capabilities is refused, each request is answered exactly once and in
//   bounded time, no stop of a disposed run arrives, ids stay stable...
//
// A request counts as wrong when its answer fails either check; behaviours
// that span requests (a stale stop after restart, a missing memory event) are
// counted apart. Usage:
//   node out/scripts/dapStrictClient.js [path/to/adapter/main.js]
// (default: this checkout's out/src/debug/main.js). Prints one line per
// wrong answer and a summary; exits 1 when any answer is wrong.

import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';

const ROOT = path.resolve(__dirname, '..', '..');
const FIXTURES = path.join(ROOT, 'test', 'debug', 'fixtures');
const STEPS = path.join(FIXTURES, 'steps.g32');
const FOREVER = path.join(FIXTURES, 'forever.g32');
const ANSWER_TIMEOUT_MS = 10_000;

// ------------------------------------------------------------ the schema, from the protocol's types

class Schema {
  private readonly interfaces = new Map<string, ts.InterfaceDeclaration>();
  private readonly aliases = new Map<string, ts.TypeAliasDeclaration>();

  constructor(file: string) {
    const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
    const visit = (node: ts.Node): void => {
      if (ts.isInterfaceDeclaration(node)) this.interfaces.set(node.name.text, node);
      else if (ts.isTypeAliasDeclaration(node)) this.aliases.set(node.name.text, node);
      ts.forEachChild(node, visit);
    };
    visit(source);
  }

  has(name: string): boolean {
    return this.interfaces.has(name);
  }

  /** Violations of `value` against interface `name`, as "path: what" strings. */
  check(value: unknown, name: string, where: string): string[] {
    const errors: string[] = [];
    this.checkInterface(value, name, where, errors);
    return errors;
  }

  private members(name: string): ts.TypeElement[] {
    const declaration = this.interfaces.get(name);
    if (!declaration) return [];
    const own = [...declaration.members];
    for (const clause of declaration.heritageClauses ?? []) {
      for (const type of clause.types) own.push(...this.members(type.expression.getText()));
    }
    return own;
  }

  private checkInterface(value: unknown, name: string, where: string, errors: string[]): void {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      errors.push(`${where}: must be an object (${name}); got ${JSON.stringify(value)}`);
      return;
    }
    this.checkMembers(value as Record<string, unknown>, this.members(name), where, errors);
  }

  private checkMembers(record: Record<string, unknown>, members: readonly ts.TypeElement[], where: string, errors: string[]): void {
    // A derived interface redeclares some members (body, command): the first (most derived) wins.
    const seen = new Set<string>();
    for (const member of members) {
      if (!ts.isPropertySignature(member) || !member.type) continue;
      const key = member.name.getText().replace(/^['"]|['"]$/g, '');
      if (seen.has(key)) continue;
      seen.add(key);
      const value = record[key];
      if (value === undefined) {
        if (!member.questionToken) errors.push(`${where}.${key}: required, missing`);
        continue;
      }
      this.checkType(value, member.type, `${where}.${key}`, errors);
    }
  }

  private checkType(value: unknown, type: ts.TypeNode, where: string, errors: string[]): void {
    switch (type.kind) {
      case ts.SyntaxKind.StringKeyword:
        if (typeof value !== 'string') errors.push(`${where}: must be a string; got ${JSON.stringify(value)}`);
        return;
      case ts.SyntaxKind.NumberKeyword:
        if (typeof value !== 'number') errors.push(`${where}: must be a number; got ${JSON.stringify(value)}`);
        return;
      case ts.SyntaxKind.BooleanKeyword:
        if (typeof value !== 'boolean') errors.push(`${where}: must be a boolean; got ${JSON.stringify(value)}`);
        return;
      case ts.SyntaxKind.AnyKeyword:
      case ts.SyntaxKind.UnknownKeyword:
        return;
      case ts.SyntaxKind.ObjectKeyword:
        if (typeof value !== 'object' || value === null) errors.push(`${where}: must be an object; got ${JSON.stringify(value)}`);
        return;
      default:
        break; // the type forms below
    }
    if (ts.isParenthesizedTypeNode(type)) {
      this.checkType(value, type.type, where, errors);
      return;
    }
    if (ts.isLiteralTypeNode(type)) {
      const literal = type.literal;
      const expected = ts.isStringLiteral(literal)
        ? literal.text
        : ts.isNumericLiteral(literal)
          ? Number(literal.text)
          : literal.kind === ts.SyntaxKind.TrueKeyword
            ? true
            : literal.kind === ts.SyntaxKind.FalseKeyword
              ? false
              : null;
      if (value !== expected) errors.push(`${where}: must be ${JSON.stringify(expected)}; got ${JSON.stringify(value)}`);
      return;
    }
    if (ts.isUnionTypeNode(type)) {
      const alternatives = type.types.map((alternative) => {
        const e: string[] = [];
        this.checkType(value, alternative, where, e);
        return e;
      });
      if (!alternatives.some((e) => e.length === 0)) errors.push(`${where}: matches none of ${type.getText()}; got ${JSON.stringify(value)}`);
      return;
    }
    if (ts.isArrayTypeNode(type)) {
      if (!Array.isArray(value)) {
        errors.push(`${where}: must be an array; got ${JSON.stringify(value)}`);
        return;
      }
      value.forEach((item, i) => this.checkType(item, type.elementType, `${where}[${i}]`, errors));
      return;
    }
    if (ts.isTypeLiteralNode(type)) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        errors.push(`${where}: must be an object; got ${JSON.stringify(value)}`);
        return;
      }
      this.checkMembers(value as Record<string, unknown>, type.members, where, errors);
      return;
    }
    if (ts.isTypeReferenceNode(type)) {
      const name = type.typeName.getText().replace(/^DebugProtocol\./, '');
      if (this.interfaces.has(name)) {
        this.checkInterface(value, name, where, errors);
        return;
      }
      const alias = this.aliases.get(name);
      if (alias) {
        this.checkType(value, alias.type, where, errors);
        return;
      }
      if (name === 'Array' && type.typeArguments?.[0]) {
        if (!Array.isArray(value)) {
          errors.push(`${where}: must be an array; got ${JSON.stringify(value)}`);
          return;
        }
        value.forEach((item, i) => this.checkType(item, type.typeArguments![0], `${where}[${i}]`, errors));
      }
    }
  }
}

// ------------------------------------------------------------ a raw client

interface Message {
  seq: number;
  type: string;
  command?: string;
  event?: string;
  request_seq?: number;
  success?: boolean;
  message?: string;
  body?: Record<string, unknown>;
}

class RawClient {
  private readonly process: ChildProcess;
  private buffer = Buffer.alloc(0);
  private seq = 1;
  /** Every message from the adapter, in order. */
  readonly received: Message[] = [];
  private waiters: Array<() => void> = [];
  stderr = '';

  constructor(
    adapter: string,
    private readonly schema: Schema,
    private readonly onViolation: (what: string) => void,
  ) {
    this.process = spawn(process.execPath, [adapter], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.process.stdout!.on('data', (data: Buffer) => this.onData(data));
    this.process.stderr!.on('data', (data: Buffer) => {
      this.stderr += data.toString();
    });
  }

  private onData(data: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, data]);
    for (;;) {
      const headerEnd = this.buffer.indexOf('\r\n\r\n');
      if (headerEnd < 0) return;
      const length = Number(/Content-Length: (\d+)/i.exec(this.buffer.subarray(0, headerEnd).toString())?.[1]);
      if (this.buffer.length < headerEnd + 4 + length) return;
      const message = JSON.parse(this.buffer.subarray(headerEnd + 4, headerEnd + 4 + length).toString()) as Message;
      this.buffer = this.buffer.subarray(headerEnd + 4 + length);
      this.received.push(message);
      if (message.type === 'event') {
        const name = `${message.event![0].toUpperCase()}${message.event!.slice(1)}Event`;
        for (const e of this.schema.check(message, this.schema.has(name) ? name : 'Event', `event ${message.event}`)) this.onViolation(e);
      }
      const waiters = this.waiters;
      this.waiters = [];
      for (const wake of waiters) wake();
    }
  }

  /** Resolves when `predicate` holds on some received message (checked now and at each new one), or undefined after the timeout. */
  waitFor(predicate: (m: Message) => boolean, from = 0, timeoutMs = ANSWER_TIMEOUT_MS): Promise<Message | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(undefined), timeoutMs);
      const look = (): void => {
        const found = this.received.slice(from).find(predicate);
        if (found) {
          clearTimeout(timer);
          resolve(found);
        } else this.waiters.push(look);
      };
      look();
    });
  }

  sendRaw(message: Record<string, unknown>): number {
    const seq = this.seq++;
    const json = JSON.stringify({ seq, type: 'request', ...message });
    this.process.stdin!.write(`Content-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`);
    return seq;
  }

  /** Sends a request and waits for its response (undefined: no answer in time). */
  async request(command: string, args?: unknown, extra: Record<string, unknown> = {}): Promise<{ response: Message | undefined; index: number; seq: number }> {
    const index = this.received.length;
    const seq = this.sendRaw({ command, ...(args === undefined ? {} : { arguments: args }), ...extra });
    const response = await this.waitFor((m) => m.type === 'response' && m.request_seq === seq, index);
    return { response, index, seq };
  }

  event(name: string, from: number, timeoutMs = ANSWER_TIMEOUT_MS): Promise<Message | undefined> {
    return this.waitFor((m) => m.type === 'event' && m.event === name, from, timeoutMs);
  }

  close(): void {
    this.process.kill();
  }
}

// ------------------------------------------------------------ the checks

/** ok: must succeed; fail: must be refused with a message; claimed: ok when claimed, else fail; either: only `extraCheck` and the schema judge. */
type Expect = 'ok' | 'fail' | 'claimed' | 'either';

class StrictRun {
  requests = 0;
  /** Behaviours judged beyond single answers (events that must or must not follow). */
  behaviours = 0;
  wrongRequests = 0;
  wrong: string[] = [];
  schemaViolations = 0;
  eventViolations: string[] = [];
  private readonly schema = new Schema(require.resolve('@vscode/debugprotocol/lib/debugProtocol.d.ts'));

  constructor(private readonly adapter: string) {}

  client(): RawClient {
    return new RawClient(this.adapter, this.schema, (e) => this.eventViolations.push(e));
  }

  /**
   * Sends one request and judges its answer: `ok` must succeed, `fail` must be
   * refused with a message, `claimed` must succeed when `isClaimed` and be
   * refused otherwise. `extraCheck` adds what the answer must say.
   */
  async check(
    c: RawClient,
    label: string,
    command: string,
    args: unknown,
    expect: Expect,
    options: { isClaimed?: boolean; extra?: Record<string, unknown>; extraCheck?: (m: Message) => string | undefined } = {},
  ): Promise<Message | undefined> {
    this.requests++;
    const { response, seq } = await c.request(command, args, options.extra);
    const problems: string[] = [];
    if (!response) {
      problems.push(`no answer in ${ANSWER_TIMEOUT_MS / 1000} s`);
    } else {
      const text = String(command ?? '');
      const name = `${text.slice(0, 1).toUpperCase()}${text.slice(1)}Response`;
      const schemaErrors = this.schema.check(response, response.success === false ? 'ErrorResponse' : this.schema.has(name) ? name : 'Response', 'response');
      if (schemaErrors.length > 0) {
        this.schemaViolations++;
        problems.push(`schema: ${schemaErrors.join('; ')}`);
      }
      const wanted = expect === 'claimed' ? (options.isClaimed ? 'ok' : 'fail') : expect === 'either' ? undefined : expect;
      if (wanted === 'ok' && !response.success) problems.push(`refused: ${response.message}`);
      if (wanted === 'fail' && response.success) problems.push(expect === 'claimed' ? 'answered success to a request the adapter does not claim' : 'accepted bad arguments');
      if (wanted === 'fail' && !response.success && !response.message) problems.push('refused without a message');
      if (options.extraCheck) {
        const extra = options.extraCheck(response);
        if (extra) problems.push(extra);
      }
      const answers = c.received.filter((m) => m.type === 'response' && m.request_seq === seq).length;
      if (answers > 1) problems.push(`${answers} responses`);
    }
    if (/more than one response/.test(c.stderr)) {
      problems.push('adapter tried to answer twice (stderr)');
      c.stderr = '';
    }
    if (problems.length > 0) this.wrongRequests++;
    if (problems.length > 0) this.wrong.push(`${label} (${String(command)}): ${problems.join('; ')}`);
    return response;
  }

  /** Judges something that is not one request's answer (an event that must or must not come), counted with the request that led to it. */
  verdict(label: string, problem: string | undefined): void {
    this.behaviours++;
    if (problem) this.wrong.push(`${label}: ${problem}`);
  }

  async launch(c: RawClient, args: Record<string, unknown>, before?: () => Promise<void>): Promise<Message | undefined> {
    const from = c.received.length;
    await this.check(c, 'launch', 'launch', { type: 'hyperstep', request: 'launch', ...args }, 'ok');
    if (before) await before();
    await this.check(c, 'configurationDone', 'configurationDone', {}, 'ok');
    return args.noDebug ? undefined : c.event('stopped', from);
  }
}

async function run(adapter: string): Promise<StrictRun> {
  const r = new StrictRun(adapter);
  const ZERO_BASED = { adapterID: 'hyperstep', clientID: 'strict', linesStartAt1: false, columnsStartAt1: false, supportsMemoryEvent: true, supportsInvalidatedEvent: true };

  // --- A: one session through every request, a client that counts lines and columns from 0.
  {
    const c = r.client();
    const init = await r.check(c, 'initialize without pathFormat (optional)', 'initialize', ZERO_BASED, 'ok');
    const caps = init?.body ?? {};
    await r.check(c, 'unknown command before launch', 'frobnicate', {}, 'fail', {
      extraCheck: (m) => (/unknown request/i.test(m.message ?? '') ? undefined : `message "${m.message}" does not say unknown request`),
    });
    await r.check(c, 'a request without a command', undefined as unknown as string, {}, 'fail', { extra: { command: undefined } });
    const pre = await r.check(c, 'setBreakpoints before launch (0-based lines)', 'setBreakpoints', { source: { path: STEPS }, breakpoints: [{ line: 8 }] }, 'ok', {
      extraCheck: (m) => {
        const bp = (m.body?.breakpoints as Array<{ line?: number }> | undefined)?.[0];
        return bp?.line !== undefined && bp.line !== 8 ? `echoes line ${bp.line} for 0-based line 8` : undefined;
      },
    });
    void pre;
    await r.check(c, 'setBreakpoints with line "ten"', 'setBreakpoints', { source: { path: STEPS }, breakpoints: [{ line: 'ten' }] }, 'either', {
      extraCheck: (m) => {
        if (!m.success) return undefined;
        const bp = (m.body?.breakpoints as Array<{ verified: boolean; line?: unknown }> | undefined)?.[0];
        if (bp?.verified) return 'line "ten" verified';
        return bp?.line !== undefined ? `line "ten" answered as line ${JSON.stringify(bp.line)}` : undefined;
      },
    });
    const stopped = await r.launch(c, { program: STEPS, stopOnEntry: true });
    r.verdict('launch: stop on entry', stopped ? undefined : 'no stopped event');
    await r.check(c, 'setBreakpoints with a condition that does not parse', 'setBreakpoints', { source: { path: STEPS }, breakpoints: [{ line: 8, condition: 'r5 === ((' }] }, 'ok', {
      extraCheck: (m) => {
        const bp = (m.body?.breakpoints as Array<{ verified: boolean; message?: string }> | undefined)?.[0];
        return bp?.verified || !bp?.message ? 'verified, or unverified without the parse error' : undefined;
      },
    });
    await r.check(c, 'setBreakpoints (clear)', 'setBreakpoints', { source: { path: STEPS }, breakpoints: [] }, 'ok');
    await r.check(c, 'threads', 'threads', undefined, 'ok');
    const trace = await r.check(c, 'stackTrace (0-based columns)', 'stackTrace', { threadId: 1 }, 'ok', {
      extraCheck: (m) => {
        const frame = (m.body?.stackFrames as Array<{ line: number; column: number }> | undefined)?.[0];
        if (!frame) return 'no frame';
        if (frame.column !== 0) return `column ${frame.column} for a 0-based client`;
        return frame.line !== 3 ? `line ${frame.line} for 0-based line 3` : undefined;
      },
    });
    await r.check(c, 'stackTrace of a thread that does not exist', 'stackTrace', { threadId: 99 }, 'fail');
    let frameId = (trace?.body?.stackFrames as Array<{ id: number }> | undefined)?.[0]?.id ?? 1;
    const scopes = await r.check(c, 'scopes', 'scopes', { frameId }, 'ok');
    await r.check(c, 'scopes of a frame that does not exist', 'scopes', { frameId: 999_999 }, 'fail');
    let reference = (scopes?.body?.scopes as Array<{ variablesReference: number }> | undefined)?.[0]?.variablesReference ?? 1;
    await r.check(c, 'variables', 'variables', { variablesReference: reference }, 'ok');
    await r.check(c, 'variables of a reference that does not exist', 'variables', { variablesReference: 999_999 }, 'fail');
    await r.check(c, 'evaluate', 'evaluate', { expression: 'r1 + 1', frameId, context: 'watch' }, 'ok');
    await r.check(c, 'evaluate in a frame that does not exist', 'evaluate', { expression: 'r1', frameId: 999_999, context: 'watch' }, 'fail');
    await r.check(c, 'evaluate a non-string expression', 'evaluate', { expression: 42, context: 'watch' }, 'fail', {
      extraCheck: (m) => (/internal error/i.test(m.message ?? '') ? `says "${m.message}"` : undefined),
    });
    await r.check(c, 'completions', 'completions', { text: 'r', column: 1, frameId }, 'ok');
    await r.check(c, 'source of an unknown reference', 'source', { sourceReference: 99 }, 'fail');
    await r.check(c, 'exceptionInfo of a thread that does not exist', 'exceptionInfo', { threadId: 99 }, 'fail');
    await r.check(c, 'completions in a frame that does not exist', 'completions', { text: 'r', column: 1, frameId: 999_999 }, 'fail');
    await r.check(c, 'dataBreakpointInfo in a frame that does not exist', 'dataBreakpointInfo', { name: 'r1', frameId: 999_999 }, 'fail');
    await r.check(c, 'locations (no location references are handed out)', 'locations', { locationReference: 1 }, 'fail');
    {
      const from = c.received.length;
      await r.check(c, 'next', 'next', { threadId: 1 }, 'ok');
      r.verdict('next: stop after the step', (await c.event('stopped', from)) ? undefined : 'no stopped event');
      // Frame ids and variable references hold for one stop.
      const again = await r.check(c, 'stackTrace', 'stackTrace', { threadId: 1 }, 'ok');
      frameId = (again?.body?.stackFrames as Array<{ id: number }> | undefined)?.[0]?.id ?? 1;
      const scopesAgain = await r.check(c, 'scopes', 'scopes', { frameId }, 'ok');
      reference = (scopesAgain?.body?.scopes as Array<{ variablesReference: number }> | undefined)?.[0]?.variablesReference ?? 1;
    }
    // Requests the adapter may or may not claim: claimed ones must work, others be refused.
    const unclaimed: Array<[string, string, unknown]> = [
      ['loadedSources', 'supportsLoadedSourcesRequest', {}],
      ['gotoTargets', 'supportsGotoTargetsRequest', { source: { path: STEPS }, line: 8 }],
      ['setFunctionBreakpoints', 'supportsFunctionBreakpoints', { breakpoints: [{ name: 'double' }] }],
      ['setExpression', 'supportsSetExpression', { expression: 'r1', value: '3', frameId }],
      ['breakpointLocations', 'supportsBreakpointLocationsRequest', { source: { path: STEPS }, line: 3 }],
      ['stepInTargets', 'supportsStepInTargetsRequest', { frameId }],
      ['goto', 'supportsGotoTargetsRequest', { threadId: 1, targetId: 1 }],
      ['restartFrame', 'supportsRestartFrame', { frameId }],
      ['terminateThreads', 'supportsTerminateThreadsRequest', { threadIds: [1] }],
      ['cancel', 'supportsCancelRequest', { requestId: 1 }],
      ['attach', '(attach is not a capability; hyperstep launches)', {}],
      ['modules', 'supportsModulesRequest', {}],
    ];
    for (const [command, capability, args] of unclaimed) {
      await r.check(c, `${command} (${caps[capability] ? 'claimed' : 'not claimed'})`, command, args, 'claimed', { isClaimed: caps[capability] === true });
    }
    await r.check(c, 'readMemory', 'readMemory', { memoryReference: 'gpa:0x0', count: 16 }, 'ok');
    // Refused with a message, or answered whole (bytes plus unreadableBytes): never short as if memory ended there.
    await r.check(c, 'readMemory of 2 MiB', 'readMemory', { memoryReference: 'gpa:0x0', count: 2 << 20 }, 'either', {
      extraCheck: (m) => {
        if (!m.success) return undefined;
        const got = Buffer.from(String(m.body?.data ?? ''), 'base64').length;
        return got + Number(m.body?.unreadableBytes ?? 0) < 2 << 20 ? `answered ${got} bytes and unreadableBytes ${String(m.body?.unreadableBytes)} for ${2 << 20}` : undefined;
      },
    });
    await r.check(c, 'readMemory with count "many"', 'readMemory', { memoryReference: 'gpa:0x0', count: 'many' }, 'fail');
    await r.check(c, 'readMemory of a reference that is not one', 'readMemory', { memoryReference: 'somewhere', count: 4 }, 'fail', {
      extraCheck: (m) => (/internal error/i.test(m.message ?? '') ? `says "${m.message}"` : undefined),
    });
    await r.check(c, 'writeMemory with data that is not base64', 'writeMemory', { memoryReference: 'gpa:0x2000', data: '!!not base64!!' }, 'fail');
    {
      // 1 MiB of RAM: the last 4 bytes are RAM, the next 4 are not.
      await r.check(c, 'writeMemory (set up)', 'writeMemory', { memoryReference: 'gpa:0xffffc', data: Buffer.from([1, 2, 3, 4]).toString('base64') }, 'ok');
      await r.check(
        c,
        'writeMemory half past the end of RAM without allowPartial',
        'writeMemory',
        { memoryReference: 'gpa:0xffffc', data: Buffer.from([9, 9, 9, 9, 9, 9, 9, 9]).toString('base64') },
        'fail',
      );
      const after = await r.check(c, 'readMemory after a refused writeMemory', 'readMemory', { memoryReference: 'gpa:0xffffc', count: 4 }, 'ok');
      r.verdict('writeMemory refused but wrote part of the data', after && Buffer.from(String(after.body?.data ?? ''), 'base64').equals(Buffer.from([1, 2, 3, 4])) ? undefined : 'memory changed');
    }
    {
      const from = c.received.length;
      await r.check(c, 'writeMemory', 'writeMemory', { memoryReference: 'gpa:0x2000', data: Buffer.from([7]).toString('base64') }, 'ok');
      await r.check(c, 'threads (after writeMemory)', 'threads', undefined, 'ok');
      r.verdict('writeMemory: memory event (client supports it)', c.received.slice(from).some((m) => m.event === 'memory') ? undefined : 'no memory event');
      r.verdict('writeMemory: invalidated event (client supports it)', c.received.slice(from).some((m) => m.event === 'invalidated') ? undefined : 'no invalidated event');
    }
    {
      const from = c.received.length;
      await r.check(c, 'setVariable', 'setVariable', { variablesReference: reference, name: 'r3', value: '5' }, 'ok');
      await r.check(c, 'threads (after setVariable)', 'threads', undefined, 'ok');
      r.verdict('setVariable: invalidated event (client supports it)', c.received.slice(from).some((m) => m.event === 'invalidated') ? undefined : 'no invalidated event');
    }
    await r.check(c, 'setVariable of a reference that does not exist', 'setVariable', { variablesReference: 999_999, name: 'r3', value: '5' }, 'fail', {
      extraCheck: (m) => (/internal error/i.test(m.message ?? '') ? `says "${m.message}"` : undefined),
    });
    await r.check(c, 'disassemble', 'disassemble', { memoryReference: 'gpa:0x0', instructionCount: 4 }, 'ok');
    await r.check(c, 'dataBreakpointInfo', 'dataBreakpointInfo', { name: 'counter', frameId }, 'ok');
    await r.check(c, 'setInstructionBreakpoints', 'setInstructionBreakpoints', { breakpoints: [{ instructionReference: 'gva:0x0' }] }, 'ok');
    await r.check(c, 'setExceptionBreakpoints', 'setExceptionBreakpoints', { filters: ['protection-fault'] }, 'ok');
    await r.check(c, 'setExceptionBreakpoints with filters that are not a list', 'setExceptionBreakpoints', { filters: 'protection-fault' }, 'fail');
    await r.check(c, 'setDataBreakpoints', 'setDataBreakpoints', { breakpoints: [] }, 'ok');
    await r.check(c, 'disconnect', 'disconnect', {}, 'ok');
    c.close();
  }

  // --- B: restart while running: no stale stop, the same breakpoint ids.
  {
    const c = r.client();
    await r.check(c, 'initialize', 'initialize', { adapterID: 'hyperstep', pathFormat: 'path' }, 'ok');
    let ids: number[] = [];
    await r.launch(c, { program: FOREVER, stopOnEntry: true }, async () => {
      const set = await r.check(c, 'setBreakpoints', 'setBreakpoints', { source: { path: STEPS }, breakpoints: [{ line: 4 }] }, 'ok');
      void set;
      // Set twice, as a client does while the user edits: the ids the client holds are not the first ones.
      await r.check(c, 'setBreakpoints', 'setBreakpoints', { source: { path: FOREVER }, breakpoints: [{ line: 3, condition: 'r1 == 100000' }] }, 'ok');
      const forever = await r.check(c, 'setBreakpoints', 'setBreakpoints', { source: { path: FOREVER }, breakpoints: [{ line: 3, condition: 'r1 == 100000' }] }, 'ok');
      ids = ((forever?.body?.breakpoints ?? []) as Array<{ id?: number }>).map((b) => b.id ?? -1);
    });
    await r.check(c, 'continue', 'continue', { threadId: 1 }, 'ok');
    const from = c.received.length;
    await r.check(c, 'restart while running', 'restart', {}, 'ok');
    await c.event('stopped', from);
    await r.check(c, 'threads after restart', 'threads', undefined, 'ok');
    const reasons = c.received
      .slice(from)
      .filter((m) => m.event === 'stopped')
      .map((m) => m.body?.reason);
    r.verdict("restart while running: the only stop is the new run's entry", reasons.join() === 'entry' ? undefined : `stops after restart: ${reasons.join(', ')}`);
    const changed = c.received
      .slice(from)
      .filter((m) => m.event === 'breakpoint')
      .map((m) => (m.body?.breakpoint as { id?: number }).id);
    const hitFrom = c.received.length;
    await r.check(c, 'continue after restart', 'continue', { threadId: 1 }, 'ok');
    const hit = await c.event('stopped', hitFrom);
    const hitIds = (hit?.body?.hitBreakpointIds ?? []) as number[];
    r.verdict(
      "restart: breakpoint ids stay the client's",
      hitIds.every((id) => ids.includes(id) || changed.includes(id)) && hitIds.length > 0
        ? undefined
        : `hit ${JSON.stringify(hitIds)}, client knows ${JSON.stringify(ids)} (breakpoint events: ${JSON.stringify(changed)})`,
    );
    await r.check(c, 'continue', 'continue', { threadId: 1 }, 'ok');
    const termFrom = c.received.length;
    await r.check(c, 'terminate while running', 'terminate', {}, 'ok');
    await r.check(c, 'threads after terminate', 'threads', undefined, 'ok');
    r.verdict('terminate while running: no stop of the ended run', c.received.slice(termFrom).some((m) => m.event === 'stopped') ? 'a stale stopped event' : undefined);
    c.close();
  }

  // --- C: noDebug runs to the end without stopping.
  {
    const c = r.client();
    await r.check(c, 'initialize', 'initialize', { adapterID: 'hyperstep', pathFormat: 'path' }, 'ok');
    const from = c.received.length;
    await r.launch(c, { program: STEPS, noDebug: true }, async () => {
      await r.check(c, 'setBreakpoints (noDebug)', 'setBreakpoints', { source: { path: STEPS }, breakpoints: [{ line: 9 }] }, 'ok');
    });
    const end = await c.waitFor((m) => m.event === 'stopped' || m.event === 'terminated', from);
    r.verdict('noDebug: runs without stopping at breakpoints', end?.event === 'stopped' ? `stopped (${String(end.body?.reason)})` : undefined);
    c.close();
  }

  // --- F: run control with bad arguments, in a session of its own: an adapter that runs anyway changes the state later checks see.
  {
    const c = r.client();
    await r.check(c, 'initialize', 'initialize', { adapterID: 'hyperstep', pathFormat: 'path' }, 'ok');
    await r.launch(c, { program: FOREVER, stopOnEntry: true });
    for (const command of ['next', 'stepIn', 'stepOut']) {
      await r.check(c, `${command} without arguments`, command, undefined, 'fail');
      await r.check(c, `${command} of a thread that does not exist`, command, { threadId: 99 }, 'fail');
    }
    for (const command of ['stepBack', 'reverseContinue', 'continue', 'pause']) {
      await r.check(c, `${command} without arguments`, command, undefined, 'fail');
      await r.check(c, `${command} of a thread that does not exist`, command, { threadId: 99 }, 'fail');
    }
    c.close();
  }

  // --- E: a huge disassembly, alone: an adapter that blocks on it would make every later answer late.
  {
    const c = r.client();
    await r.check(c, 'initialize', 'initialize', { adapterID: 'hyperstep', pathFormat: 'path' }, 'ok');
    await r.launch(c, { program: STEPS, stopOnEntry: true });
    // Refused with a message, or answered in time with as many instructions as asked (the protocol pads with invalid ones).
    await r.check(c, 'disassemble 10^7 instructions', 'disassemble', { memoryReference: 'gpa:0x0', instructionCount: 10_000_000 }, 'either', {
      extraCheck: (m) => {
        if (!m.success) return m.message ? undefined : 'refused without a message';
        const got = (m.body?.instructions as unknown[] | undefined)?.length ?? 0;
        return got !== 10_000_000 ? `answered ${got} instructions for 10000000, without saying so` : undefined;
      },
    });
    c.close();
  }

  // --- D: initialize with URIs (not supported: refused with a message).
  {
    const c = r.client();
    await r.check(c, 'initialize with pathFormat uri', 'initialize', { adapterID: 'hyperstep', pathFormat: 'uri' }, 'fail');
    c.close();
  }
  return r;
}

async function main(): Promise<void> {
  const adapter = path.resolve(process.argv[2] ?? path.join(ROOT, 'out', 'src', 'debug', 'main.js'));
  const r = await run(adapter);
  for (const line of r.wrong) console.log(`WRONG ${line}`);
  for (const line of r.eventViolations) console.log(`EVENT SCHEMA ${line}`);
  console.log(
    `${adapter}: ${r.requests} requests, ${r.wrongRequests} answered wrong (${r.schemaViolations} of them violate the schema); ${r.behaviours} behaviours (events after a request), ${r.wrong.length - r.wrongRequests} wrong; ${r.eventViolations.length} events violate the schema`,
  );
  process.exit(r.wrong.length + r.eventViolations.length > 0 ? 1 : 0);
}

void main();
