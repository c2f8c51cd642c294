// Shared set-up for the adapter tests: a DebugClient on the stand-alone
// adapter (`node out/src/debug/main.js`), fixture paths and the named lines
// under test. Tests wait on events, never on time.

import * as assert from 'assert';
import * as path from 'path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { DebugProtocol } from '@vscode/debugprotocol';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const ADAPTER = path.join(ROOT, 'out', 'src', 'debug', 'main.js');
export const FIXTURES = path.join(ROOT, 'test', 'debug', 'fixtures');
export const EXAMPLES = path.join(ROOT, 'examples');

export const fixture = (name: string): string => path.join(FIXTURES, name);

/** Named lines of the fixtures (1-based, as in the files' comments). */
export const STEPS = { START: 4, CALL: 6, AFTER_CALL: 7, BLANK: 8, STORE: 9, HLT: 13, DOUBLE: 15, RET: 16 };
export const TRAP = { FIRST: 4, CLI: 5, IN: 6, AFTER_IN: 7, CONSOLE: 9 };
export const GP = { USER_CLI: 14, GP_HANDLER: 17 };
export const TRIPLE = { PUSH: 11 };
export const FOREVER = { LOOP: 3 };

export function makeClient(): DebugClient {
  const client = new DebugClient('node', ADAPTER, 'hyperstep');
  client.defaultTimeout = 15000;
  return client;
}

/**
 * A fresh adapter process and client for each test of the enclosing suite,
 * stopped after it: `let client; withAdapterClient((c) => { client = c; });`.
 */
export function withAdapterClient(use: (client: DebugClient) => void): void {
  let client: DebugClient;
  beforeEach(async () => {
    client = makeClient();
    use(client);
    await client.start();
  });
  afterEach(async () => {
    await client.stop();
  });
}

/** Launches and waits for the first stop (stopOnEntry unless the args say otherwise). */
export async function launchAndStop(client: DebugClient, args: Record<string, unknown>, setup?: () => Promise<unknown>): Promise<DebugProtocol.StoppedEvent> {
  const stopped = client.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
  await Promise.all([
    client.waitForEvent('initialized').then(async () => {
      if (setup) await setup();
      return client.configurationDoneRequest();
    }),
    client.launch({ stopOnEntry: true, ...args }),
  ]);
  return stopped;
}

/** Launches without stopping on entry and without waiting for a stop. */
export async function launchAndRun(client: DebugClient, args: Record<string, unknown>): Promise<void> {
  await Promise.all([client.waitForEvent('initialized').then(() => client.configurationDoneRequest()), client.launch({ stopOnEntry: false, ...args })]);
}

export async function topFrame(client: DebugClient, threadId = 1): Promise<DebugProtocol.StackFrame> {
  const trace = await client.stackTraceRequest({ threadId });
  return trace.body.stackFrames[0];
}

export async function frames(client: DebugClient, threadId = 1): Promise<DebugProtocol.StackFrame[]> {
  return (await client.stackTraceRequest({ threadId })).body.stackFrames;
}

/** Sends a request that resumes and waits for the stop it leads to. */
export async function resumeAndStop(client: DebugClient, request: () => Promise<unknown>): Promise<DebugProtocol.StoppedEvent> {
  const stopped = client.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
  await request();
  return stopped;
}

export async function evaluate(client: DebugClient, expression: string, context = 'repl'): Promise<string> {
  return (await client.evaluateRequest({ expression, context })).body.result;
}

export async function register(client: DebugClient, name: string): Promise<number> {
  return parseInt(await evaluate(client, name, 'watch'), 16);
}

export async function lineOf(client: DebugClient): Promise<number> {
  return (await topFrame(client)).line;
}

export function assertLine(frame: DebugProtocol.StackFrame, file: string, line: number): void {
  assert.ok(frame.source?.path, `frame ${frame.name} has no source`);
  assert.strictEqual(path.basename(frame.source.path), file, `frame ${frame.name}`);
  assert.strictEqual(frame.line, line, `frame ${frame.name} in ${file}`);
}

/** Collects output events of a category until `predicate` holds on the text so far. */
export function collectOutput(client: DebugClient, category: string, predicate: (text: string) => boolean): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const listener = (event: DebugProtocol.OutputEvent): void => {
      if ((event.body.category ?? 'console') !== category) return;
      text += event.body.output;
      if (predicate(text)) {
        client.removeListener('output', listener);
        resolve(text);
      }
    };
    client.on('output', listener);
  });
}
