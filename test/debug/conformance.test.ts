// Protocol conformance of the debug adapter, one suite per DAP request: what
// a strict client relies on (answers once, refuses what it cannot do with a
// message, keeps ids stable, counts lines and columns as the client does,
// sends the events the client declared it supports). `scripts/dapStrictClient.ts`
// tries every request this way; the last suite runs it.

import * as assert from 'assert';
import { execFile } from 'child_process';
import * as path from 'path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { DebugProtocol } from '@vscode/debugprotocol';
import { REFUSED_REQUESTS } from '../../src/debug/requestArguments';
import { MAX_DISASSEMBLE, MAX_READ_MEMORY } from '../../src/debug/session';
import { ADAPTER, fixture, FOREVER, launchAndStop, withAdapterClient, ROOT, STEPS, topFrame } from './helpers';

const ZERO_BASED: DebugProtocol.InitializeRequestArguments = {
  adapterID: 'hyperstep',
  linesStartAt1: false,
  columnsStartAt1: false,
  pathFormat: 'path',
  supportsMemoryEvent: true,
  supportsInvalidatedEvent: true,
};

/** Initializes as `init` says (DebugClient.launch would initialize again with its defaults), launches and waits for the entry stop. */
async function launchWith(client: DebugClient, init: DebugProtocol.InitializeRequestArguments, args: Record<string, unknown>, setup?: () => Promise<unknown>): Promise<DebugProtocol.StoppedEvent> {
  await client.initializeRequest(init);
  const stopped = client.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
  await Promise.all([
    client.waitForEvent('initialized').then(async () => {
      if (setup) await setup();
      return client.configurationDoneRequest();
    }),
    client.launchRequest({ stopOnEntry: true, ...args } as DebugProtocol.LaunchRequestArguments),
  ]);
  return stopped;
}

/** Every event of one kind from now on. */
function record<T extends DebugProtocol.Event>(client: DebugClient, event: string): T[] {
  const seen: T[] = [];
  client.on(event, (e: T) => seen.push(e));
  return seen;
}

const rejectsWith =
  (pattern: RegExp) =>
  (e: Error): boolean => {
    assert.match(e.message, pattern);
    assert.doesNotMatch(e.message, /internal error/);
    return true;
  };

describe('debug adapter protocol conformance', function () {
  this.timeout(20000);
  let client: DebugClient;

  withAdapterClient((started) => {
    client = started;
  });

  describe('initialize', () => {
    it('accepts a client that leaves out pathFormat (optional, default path)', async () => {
      const response = await client.initializeRequest({ adapterID: 'hyperstep' });
      assert.strictEqual(response.body?.supportsBreakpointLocationsRequest, true);
    });

    it('refuses URIs with a message', async () => {
      await assert.rejects(client.initializeRequest({ adapterID: 'hyperstep', pathFormat: 'uri' }), rejectsWith(/pathFormat must be 'path'/));
    });
  });

  describe('a request without a command', () => {
    it('gets an error response that still has a command field', async () => {
      await client.initializeRequest();
      const send = (client as unknown as { doSend(command: unknown, args: unknown, done: (r: DebugProtocol.Response) => void): void }).doSend.bind(client);
      const response = await new Promise<DebugProtocol.Response>((resolve) => send(undefined, undefined, resolve));
      assert.strictEqual(response.success, false);
      assert.strictEqual(typeof response.command, 'string');
      assert.match(response.message!, /needs a command/);
    });
  });

  describe('unknown requests', () => {
    it('are answered "unknown request" before launch too', async () => {
      await client.initializeRequest();
      await assert.rejects(client.customRequest('frobnicate', {}), rejectsWith(/unknown request 'frobnicate'/));
    });
  });

  describe('restart', () => {
    it('while running sends no stop of the disposed run: the first stop after it is the new entry', async () => {
      await launchAndStop(client, { program: fixture('forever.g32') });
      await client.continueRequest({ threadId: 1 });
      const stops = record<DebugProtocol.StoppedEvent>(client, 'stopped');
      const entry = client.waitForEvent('stopped');
      await client.customRequest('restart', {});
      await entry;
      await client.threadsRequest();
      assert.deepStrictEqual(
        stops.map((s) => s.body.reason),
        ['entry'],
      );
    });

    it('keeps the breakpoint ids the client holds', async () => {
      let ids: number[] = [];
      const forever = { source: { path: fixture('forever.g32') }, breakpoints: [{ line: FOREVER.LOOP, condition: 'r1 == 3' }] };
      await launchAndStop(client, { program: fixture('forever.g32') }, async () => {
        // Set twice, as an editor does while the user types: the ids the client holds are not the first ones.
        await client.setBreakpointsRequest(forever);
        ids = (await client.setBreakpointsRequest(forever)).body.breakpoints.map((b) => b.id!);
      });
      const changed = record<DebugProtocol.BreakpointEvent>(client, 'breakpoint');
      const entry = client.waitForEvent('stopped');
      await client.customRequest('restart', {});
      await entry;
      const stopped = client.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>;
      await client.continueRequest({ threadId: 1 });
      assert.deepStrictEqual((await stopped).body.hitBreakpointIds, ids);
      assert.deepStrictEqual(changed, [], 'nothing changed, so no breakpoint event');
    });
  });

  describe('terminate', () => {
    it('while running sends no stop of the ended run', async () => {
      await launchAndStop(client, { program: fixture('forever.g32') });
      await client.continueRequest({ threadId: 1 });
      const stops = record<DebugProtocol.StoppedEvent>(client, 'stopped');
      await client.terminateRequest({});
      await client.threadsRequest();
      assert.deepStrictEqual(stops, []);
    });
  });

  for (const command of ['next', 'stepIn', 'stepOut'] as const) {
    describe(command, () => {
      it('refuses a request without arguments, answering once, and keeps working', async () => {
        await launchAndStop(client, { program: fixture('steps.g32') });
        await assert.rejects(client.customRequest(command), rejectsWith(new RegExp(`'${command}' needs arguments with 'threadId'`)));
        const stopped = client.waitForEvent('stopped');
        await client.nextRequest({ threadId: 1 });
        await stopped;
        assert.strictEqual((await topFrame(client)).line, STEPS.START + 1);
      });

      it('refuses a thread that does not exist instead of stepping another', async () => {
        await launchAndStop(client, { program: fixture('steps.g32') });
        await assert.rejects(client.customRequest(command, { threadId: 7 }), rejectsWith(/no thread 7: the threads are 1, one per guest/));
        assert.strictEqual((await topFrame(client)).line, STEPS.START, 'did not move');
      });
    });
  }

  for (const [command, reason] of Object.entries(REFUSED_REQUESTS)) {
    describe(command, () => {
      it('is refused with a message, and not claimed', async () => {
        const capabilities = (await client.initializeRequest()).body ?? {};
        const claims: Record<string, keyof DebugProtocol.Capabilities> = {
          setFunctionBreakpoints: 'supportsFunctionBreakpoints',
          setExpression: 'supportsSetExpression',
          stepInTargets: 'supportsStepInTargetsRequest',
          gotoTargets: 'supportsGotoTargetsRequest',
          goto: 'supportsGotoTargetsRequest',
          restartFrame: 'supportsRestartFrame',
          terminateThreads: 'supportsTerminateThreadsRequest',
          cancel: 'supportsCancelRequest',
          modules: 'supportsModulesRequest',
        };
        if (claims[command]) assert.ok(!capabilities[claims[command]], `${claims[command]} is not claimed`);
        await assert.rejects(client.customRequest(command, {}), (e: Error) => e.message === reason);
      });
    });
  }

  describe('breakpointLocations', () => {
    it('lists the lines of a range that hold an instruction', async () => {
      await launchAndStop(client, { program: fixture('steps.g32') });
      const response = (await client.customRequest('breakpointLocations', {
        source: { path: fixture('steps.g32') },
        line: STEPS.AFTER_CALL,
        endLine: STEPS.STORE,
      })) as DebugProtocol.BreakpointLocationsResponse;
      assert.deepStrictEqual(response.body.breakpoints, [{ line: STEPS.AFTER_CALL }, { line: STEPS.STORE }], 'the blank line between them holds none');
    });
  });

  describe('loadedSources', () => {
    it('lists the files the program was assembled from', async () => {
      await launchAndStop(client, { program: fixture('two.json') });
      const response = (await client.customRequest('loadedSources', {})) as DebugProtocol.LoadedSourcesResponse;
      assert.deepStrictEqual(
        response.body.sources.map((s) => path.basename(s.path!)),
        ['steps.g32', 'trap.g32'],
      );
    });
  });

  describe('stackTrace', () => {
    it('refuses a thread that does not exist', async () => {
      await launchAndStop(client, { program: fixture('steps.g32') });
      await assert.rejects(client.stackTraceRequest({ threadId: 2 }), rejectsWith(/no thread 2/));
    });

    it('counts lines and columns from 0 for a client that does', async () => {
      await launchWith(client, ZERO_BASED, { program: fixture('steps.g32') });
      const frame = await topFrame(client);
      assert.strictEqual(frame.line, STEPS.START - 1);
      assert.strictEqual(frame.column, 0);
    });
  });

  describe('scopes', () => {
    it('refuses a frame id that is not one', async () => {
      await launchAndStop(client, { program: fixture('steps.g32') });
      await assert.rejects(client.scopesRequest({ frameId: 4242 }), rejectsWith(/no stack frame 4242/));
    });
  });

  describe('variables', () => {
    it('refuses a reference that is not one', async () => {
      await launchAndStop(client, { program: fixture('steps.g32') });
      await assert.rejects(client.variablesRequest({ variablesReference: 4242 }), rejectsWith(/no variables with reference 4242/));
    });
  });

  describe('evaluate', () => {
    it('refuses a frame id that is not one', async () => {
      await launchAndStop(client, { program: fixture('steps.g32') });
      await assert.rejects(client.evaluateRequest({ expression: 'r1', frameId: 4242, context: 'watch' }), rejectsWith(/no stack frame 4242/));
    });

    it('says what is wrong with an expression that is not a string', async () => {
      await launchAndStop(client, { program: fixture('steps.g32') });
      await assert.rejects(client.customRequest('evaluate', { expression: 42, context: 'watch' }), rejectsWith(/'expression' must be a string; got 42/));
    });
  });

  describe('setBreakpoints', () => {
    it("answers before launch in the client's line numbering, with ids, then announces them verified", async () => {
      const changed = record<DebugProtocol.BreakpointEvent>(client, 'breakpoint');
      let early: DebugProtocol.Breakpoint[] = [];
      await client.initializeRequest(ZERO_BASED);
      early = (await client.setBreakpointsRequest({ source: { path: fixture('steps.g32') }, breakpoints: [{ line: STEPS.STORE - 1 }] })).body.breakpoints;
      assert.strictEqual(early[0].line, STEPS.STORE - 1);
      assert.strictEqual(early[0].verified, false);
      const stopped = client.waitForEvent('stopped');
      await Promise.all([
        client.waitForEvent('initialized').then(() => client.configurationDoneRequest()),
        client.launchRequest({ program: fixture('steps.g32'), stopOnEntry: true } as DebugProtocol.LaunchRequestArguments),
      ]);
      await stopped;
      assert.deepStrictEqual(
        changed.map((e) => [e.body.breakpoint.id, e.body.breakpoint.verified, e.body.breakpoint.line]),
        [[early[0].id, true, STEPS.STORE - 1]],
      );
    });

    it('leaves a condition that does not parse unverified, with the parse error', async () => {
      await launchAndStop(client, { program: fixture('steps.g32') });
      const [bp] = (await client.setBreakpointsRequest({ source: { path: fixture('steps.g32') }, breakpoints: [{ line: STEPS.STORE, condition: 'r5 === ((' }] })).body.breakpoints;
      assert.strictEqual(bp.verified, false);
      assert.strictEqual(bp.message, "condition 'r5 === ((': unexpected '=' at column 6");
    });

    it('leaves a line that is not a number unverified', async () => {
      await launchAndStop(client, { program: fixture('steps.g32') });
      const [bp] = (await client.setBreakpointsRequest({ source: { path: fixture('steps.g32') }, breakpoints: [{ line: 'ten' as unknown as number }] })).body.breakpoints;
      assert.strictEqual(bp.verified, false);
      assert.strictEqual(bp.line, undefined);
      assert.match(bp.message!, /'line' must be a whole number from 1; got "ten"/);
    });
  });

  describe('readMemory', () => {
    it('refuses more than it reads at once, with a message, instead of answering less as if memory ended', async () => {
      await launchAndStop(client, { program: fixture('steps.g32') });
      await assert.rejects(client.customRequest('readMemory', { memoryReference: 'gpa:0x0', count: MAX_READ_MEMORY + 1 }), rejectsWith(/at most 1048576 bytes \(1 MiB\) at once; 1048577 were asked/));
      const whole = await client.customRequest('readMemory', { memoryReference: 'gpa:0x0', count: MAX_READ_MEMORY });
      assert.strictEqual(Buffer.from(whole.body.data, 'base64').length, MAX_READ_MEMORY);
    });

    it('refuses a count that is not a number', async () => {
      await launchAndStop(client, { program: fixture('steps.g32') });
      await assert.rejects(client.customRequest('readMemory', { memoryReference: 'gpa:0x0', count: 'many' }), rejectsWith(/'count' must be a whole number; got "many"/));
    });

    it('says what is wrong with a memory reference that is not one', async () => {
      await launchAndStop(client, { program: fixture('steps.g32') });
      await assert.rejects(client.customRequest('readMemory', { memoryReference: 'somewhere', count: 4 }), rejectsWith(/memory reference 'somewhere' must look like gva:0x1000/));
    });
  });

  describe('writeMemory', () => {
    const readBack = async (reference: string, count: number): Promise<number[]> => [
      ...Buffer.from((await client.customRequest('readMemory', { memoryReference: reference, count })).body.data, 'base64'),
    ];

    it('refuses data that is not base64 and writes nothing', async () => {
      await launchAndStop(client, { program: fixture('steps.g32') });
      const before = await readBack('gpa:0x2000', 8);
      await assert.rejects(client.customRequest('writeMemory', { memoryReference: 'gpa:0x2000', data: 'not base64!' }), rejectsWith(/'data' must be base64/));
      assert.deepStrictEqual(await readBack('gpa:0x2000', 8), before);
    });

    it('writes nothing when the data cannot be written whole (without allowPartial)', async () => {
      await launchAndStop(client, { program: fixture('steps.g32') });
      // The guest has 1 MiB of RAM: 4 bytes of RAM, then none.
      const before = await readBack('gpa:0xffffc', 4);
      const data = Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]).toString('base64');
      await assert.rejects(client.customRequest('writeMemory', { memoryReference: 'gpa:0xffffc', data }), rejectsWith(/nothing written: only 4 of the 8 bytes/));
      assert.deepStrictEqual(await readBack('gpa:0xffffc', 4), before);
      const partial = await client.customRequest('writeMemory', { memoryReference: 'gpa:0xffffc', data, allowPartial: true });
      assert.strictEqual(partial.body.bytesWritten, 4);
      assert.deepStrictEqual(await readBack('gpa:0xffffc', 4), [1, 2, 3, 4]);
    });

    it('sends memory and invalidated events to a client that supports them', async () => {
      await launchWith(client, ZERO_BASED, { program: fixture('steps.g32') });
      const memory = client.waitForEvent('memory') as Promise<DebugProtocol.MemoryEvent>;
      const invalidated = client.waitForEvent('invalidated') as Promise<DebugProtocol.InvalidatedEvent>;
      await client.customRequest('writeMemory', { memoryReference: 'gpa:0x2000', offset: 4, data: Buffer.from([7, 7]).toString('base64') });
      assert.deepStrictEqual((await memory).body, { memoryReference: 'gpa:0x2000', offset: 4, count: 2 });
      assert.deepStrictEqual((await invalidated).body.areas, ['variables']);
    });
  });

  describe('setVariable', () => {
    it('sends an invalidated event to a client that supports it', async () => {
      await launchWith(client, ZERO_BASED, { program: fixture('steps.g32') });
      const frame = await topFrame(client);
      const registers = (await client.scopesRequest({ frameId: frame.id })).body.scopes.find((s) => s.name === 'Registers')!;
      const invalidated = client.waitForEvent('invalidated') as Promise<DebugProtocol.InvalidatedEvent>;
      await client.setVariableRequest({ variablesReference: registers.variablesReference, name: 'r3', value: '9' });
      assert.deepStrictEqual((await invalidated).body, { areas: ['variables'], threadId: 1 });
    });

    it('says what is wrong with a reference that is not one', async () => {
      await launchAndStop(client, { program: fixture('steps.g32') });
      await assert.rejects(client.setVariableRequest({ variablesReference: 4242, name: 'r3', value: '9' }), rejectsWith(/no variables with reference 4242/));
    });
  });

  describe('disassemble', () => {
    it('refuses ten million instructions with a message', async () => {
      await launchAndStop(client, { program: fixture('steps.g32') });
      await assert.rejects(
        client.customRequest('disassemble', { memoryReference: 'gva:0x0', instructionCount: 10_000_000 }),
        rejectsWith(new RegExp(`0 to ${MAX_DISASSEMBLE} instructions at once; 10000000 were asked`)),
      );
    });
  });

  describe('launch', () => {
    it('with noDebug runs to the end without stopping at breakpoints', async () => {
      const stops = record<DebugProtocol.StoppedEvent>(client, 'stopped');
      const exited = client.waitForEvent('exited');
      let answered: DebugProtocol.Breakpoint[] = [];
      await client.initializeRequest();
      await Promise.all([
        client.waitForEvent('initialized').then(async () => {
          answered = (await client.setBreakpointsRequest({ source: { path: fixture('steps.g32') }, breakpoints: [{ line: STEPS.STORE }] })).body.breakpoints;
          return client.configurationDoneRequest();
        }),
        client.launchRequest({ program: fixture('steps.g32'), noDebug: true, stopOnEntry: true } as DebugProtocol.LaunchRequestArguments),
      ]);
      assert.strictEqual((await exited).body.exitCode, 0);
      assert.deepStrictEqual(stops, []);
      assert.strictEqual(answered[0].verified, false);
      assert.match(answered[0].message!, /without debugging/);
    });

    it('without noDebug stops at that breakpoint (the same program)', async () => {
      const stopped = await launchAndStop(client, { program: fixture('steps.g32'), stopOnEntry: false }, () =>
        client.setBreakpointsRequest({ source: { path: fixture('steps.g32') }, breakpoints: [{ line: STEPS.STORE }] }),
      );
      assert.strictEqual(stopped.body.reason, 'breakpoint');
    });
  });

  describe('strict client (scripts/dapStrictClient.ts)', () => {
    it('finds no wrong answer among every request, good and bad', async function () {
      this.timeout(60000);
      const script = path.join(ROOT, 'out', 'scripts', 'dapStrictClient.js');
      const output = await new Promise<string>((resolve) => execFile(process.execPath, [script, ADAPTER], (_error, stdout) => resolve(stdout)));
      assert.match(output, / 0 answered wrong \(0 of them violate the schema\); \d+ behaviours \(events after a request\), 0 wrong; 0 events violate the schema/, output);
    });
  });
});
