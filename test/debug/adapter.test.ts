// The debug adapter end to end over stdio (`node out/src/debug/main.js`),
// one suite per DAP request, on small fixtures with named lines and on the
// examples.

import * as assert from 'assert';
import * as path from 'path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { DebugProtocol } from '@vscode/debugprotocol';
import {
  assertLine,
  collectOutput,
  evaluate,
  EXAMPLES,
  launchAndRun,
  fixture,
  FOREVER,
  frames,
  GP,
  launchAndStop,
  withAdapterClient,
  register,
  resumeAndStop,
  STEPS,
  topFrame,
  TRAP,
  TRIPLE,
} from './helpers';

const TE = { virtualization: 'trap-and-emulate' };

describe('debug adapter', function () {
  this.timeout(20000);
  let client: DebugClient;

  withAdapterClient((started) => {
    client = started;
  });

  describe('initialize', () => {
    it('declares step back, data and instruction breakpoints, and one exception filter per hypervisor event', async () => {
      const response = await client.initializeRequest();
      const body = response.body!;
      assert.ok(body.supportsStepBack && body.supportsDataBreakpoints && body.supportsInstructionBreakpoints && body.supportsDisassembleRequest);
      assert.ok(body.supportsExceptionFilterOptions && body.supportsReadMemoryRequest && body.supportsWriteMemoryRequest);
      assert.deepStrictEqual(
        body.exceptionBreakpointFilters!.map((f) => f.filter),
        [
          'protection-fault',
          'privileged-emulated',
          'io-emulated',
          'syscall',
          'reflected',
          'guest-page-fault',
          'hidden-page-fault',
          'shadow-dropped',
          'cr3-load',
          'tlb-flush',
          'sensitive',
          'hypercall',
          'bt-translate',
          'hw-exit',
          'divergence',
        ],
      );
      assert.ok(body.exceptionBreakpointFilters!.every((f) => f.supportsCondition));
    });
  });

  describe('launch', () => {
    it('prints a banner naming the setting and stops on entry', async () => {
      const banner = collectOutput(client, 'console', (t) => t.includes('hyperstep:'));
      const stopped = await launchAndStop(client, { program: fixture('steps.g32'), ...TE });
      assert.strictEqual(stopped.body.reason, 'entry');
      assert.match(await banner, /trap-and-emulate \/ shadow-on-demand \/ separate/);
      assertLine(await topFrame(client), 'steps.g32', STEPS.START);
    });

    it('runs a program to its end, with its console output and exit code', async () => {
      const output = collectOutput(client, 'stdout', (t) => t.includes('Hello, world!\n'));
      const exited = client.waitForEvent('exited');
      await launchAndRun(client, { program: path.join(EXAMPLES, 'hello.g32'), ...TE });
      assert.strictEqual((await exited).body.exitCode, 0);
      assert.strictEqual(await output, 'Hello, world!\n');
    });

    const badValues: Array<[string, Record<string, unknown>, RegExp]> = [
      ['a missing program', {}, /'program' is required/],
      ['an unknown virtualization', { program: fixture('steps.g32'), virtualization: 'magic' }, /'virtualization' must be one of/],
      ['an unknown paging', { program: fixture('steps.g32'), paging: 'lazy' }, /'paging' must be one of/],
      ['nested paging without hardware assist', { program: fixture('steps.g32'), virtualization: 'trap-and-emulate', paging: 'nested' }, /nested/],
      ['memory that is not whole pages', { program: fixture('steps.g32'), memory: 5000 }, /multiple of 4096/],
      ['a negative TLB size', { program: fixture('steps.g32'), tlbEntries: -1 }, /'tlbEntries' must be a whole number/],
      ['a bad input', { program: fixture('steps.g32'), input: 42 }, /'input' must be a string/],
      ['a bad historySize', { program: fixture('steps.g32'), historySize: 'lots' }, /'historySize'/],
      ['a file that does not exist', { program: fixture('missing.g32') }, /cannot read/],
      ['a program with assembly errors', { program: fixture('broken.g32') }, /does not assemble[\s\S]*broken\.g32:2/],
      ['several guests on bare hardware', { program: fixture('two.json'), virtualization: 'none' }, /runs one/],
    ];
    for (const [what, args, message] of badValues) {
      it(`refuses ${what} with a clear message`, async () => {
        await client.initializeRequest();
        await assert.rejects(client.launchRequest(args), (e: Error) => message.test(e.message));
      });
    }
  });

  describe('threads', () => {
    it('shows one thread per guest of a machine description', async () => {
      await launchAndStop(client, { program: fixture('two.json') });
      const threads = (await client.threadsRequest()).body.threads;
      assert.deepStrictEqual(
        threads.map((t) => t.name),
        ['guest steps', 'guest trap'],
      );
      assertLine(await topFrame(client, 2), 'trap.g32', TRAP.FIRST);
      await resumeAndStop(client, () => client.nextRequest({ threadId: 2 }));
      assertLine(await topFrame(client, 2), 'trap.g32', TRAP.CLI);
    });
  });

  describe('setBreakpoints', () => {
    it('stops at a source breakpoint and moves one on a blank line to the next instruction', async () => {
      let verified: DebugProtocol.Breakpoint[] = [];
      await launchAndStop(client, { program: fixture('steps.g32'), stopOnEntry: false }, async () => {
        verified = (await client.setBreakpointsRequest({ source: { path: fixture('steps.g32') }, breakpoints: [{ line: STEPS.BLANK }] })).body.breakpoints;
      });
      assert.strictEqual(verified[0].verified, true);
      assert.strictEqual(verified[0].line, STEPS.STORE);
      assertLine(await topFrame(client), 'steps.g32', STEPS.STORE);
    });

    it('honours conditions and hit counts', async () => {
      await launchAndStop(client, { program: fixture('forever.g32'), stopOnEntry: false }, () =>
        client.setBreakpointsRequest({ source: { path: fixture('forever.g32') }, breakpoints: [{ line: FOREVER.LOOP, condition: 'r1 == 7' }] }),
      );
      assert.strictEqual(await register(client, 'r1'), 7);
      await client.setBreakpointsRequest({ source: { path: fixture('forever.g32') }, breakpoints: [{ line: FOREVER.LOOP, hitCondition: '5' }] });
      await resumeAndStop(client, () => client.continueRequest({ threadId: 1 }));
      assert.strictEqual(await register(client, 'r1'), 7 + 5, 'the 5th hit after the stop at r1 = 7');
    });

    it('prints logpoints without stopping', async () => {
      const logged = collectOutput(client, 'console', (t) => (t.match(/r1 is/g) ?? []).length >= 3);
      await launchAndStop(client, { program: fixture('forever.g32'), stopOnEntry: false }, () =>
        client.setBreakpointsRequest({
          source: { path: fixture('forever.g32') },
          breakpoints: [
            { line: FOREVER.LOOP, logMessage: 'r1 is {r1}', condition: 'r1 < 3' },
            { line: FOREVER.LOOP + 1, condition: 'r1 == 5' },
          ],
        }),
      );
      assert.match(await logged, /r1 is 0x00000000 \(0\)\nr1 is 0x00000001 \(1\)\nr1 is 0x00000002 \(2\)/);
      assert.strictEqual(await register(client, 'r1'), 5);
    });

    it('works in user programs linked at virtual addresses other than their physical ones', async () => {
      const user1 = path.join(EXAMPLES, 'os', 'user1.g32');
      await launchAndStop(client, { program: path.join(EXAMPLES, 'os', 'kernel.g32'), ...TE, stopOnEntry: false }, () =>
        client.setBreakpointsRequest({ source: { path: user1 }, breakpoints: [{ line: 25 }] }),
      );
      const frame = await topFrame(client);
      assertLine(frame, 'user1.g32', 25);
      assert.strictEqual(parseInt(frame.instructionPointerReference!, 16) >>> 22, 1, 'pc is in the 0x00400000 window');
      assert.strictEqual(await evaluate(client, 'r5'), '0x00000031 (49)');
      // user2 and user3 run at the same virtual addresses: only user1 stops here, three times.
      await resumeAndStop(client, () => client.continueRequest({ threadId: 1 }));
      assert.strictEqual(await evaluate(client, 'r5'), '0x00000032 (50)');
    });
  });

  describe('setInstructionBreakpoints', () => {
    it('stops at an instruction address', async () => {
      await launchAndStop(client, { program: fixture('steps.g32') });
      // double: mov sp (8) + mov r1 (8) + call (8) + add r1, 1 (8) + st (8) + mov (8) + st (8) + cli (4) + hlt (4) = 0x40
      const response = await client.customRequest('setInstructionBreakpoints', { breakpoints: [{ instructionReference: '0x00000040' }] });
      assert.strictEqual(response.body.breakpoints[0].verified, true);
      const stopped = await resumeAndStop(client, () => client.continueRequest({ threadId: 1 }));
      assert.strictEqual(stopped.body.reason, 'instruction breakpoint');
      assertLine(await topFrame(client), 'steps.g32', STEPS.DOUBLE);
    });
  });

  describe('setExceptionBreakpoints', () => {
    it('stops before a trapped privileged instruction is emulated and says so in words', async () => {
      await launchAndStop(client, { program: fixture('trap.g32'), ...TE, stopOnEntry: false }, () => client.setExceptionBreakpointsRequest({ filters: ['protection-fault'] }));
      const info = await client.exceptionInfoRequest({ threadId: 1 });
      assert.strictEqual(info.body.exceptionId, 'protection-fault');
      assert.strictEqual(info.body.description, 'protection fault at 0x00000008: `cli` in pretend kernel mode, will be emulated');
      assertLine(await topFrame(client), 'trap.g32', TRAP.CLI);
    });

    it('filters with a condition over the event', async () => {
      await launchAndStop(client, { program: fixture('trap.g32'), ...TE, stopOnEntry: false }, () =>
        client.setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId: 'protection-fault', condition: 'instruction contains "in"' }] }),
      );
      assertLine(await topFrame(client), 'trap.g32', TRAP.IN);
      assert.match((await client.exceptionInfoRequest({ threadId: 1 })).body.description!, /`in r1, 0x64`/);
    });

    it('rejects a condition it cannot parse', async () => {
      await launchAndStop(client, { program: fixture('trap.g32'), ...TE });
      const response = await client.setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId: 'syscall', condition: 'colour == red' }] });
      assert.strictEqual(response.body!.breakpoints![0].verified, false);
      assert.match(response.body!.breakpoints![0].message!, /unknown field/);
    });

    it('stops at every #GP on bare hardware too', async () => {
      const stopped = await launchAndStop(client, { program: fixture('gp.g32'), stopOnEntry: false }, () => client.setExceptionBreakpointsRequest({ filters: ['protection-fault'] }));
      assert.strictEqual(stopped.body.reason, 'exception');
      assert.match((await client.exceptionInfoRequest({ threadId: 1 })).body.description!, /^protection fault at 0x[0-9a-f]{8}: `cli` in user mode/);
    });

    it('stops at io-emulated, hidden page faults, cr3 loads and reflections', async () => {
      await launchAndStop(client, { program: fixture('trap.g32'), ...TE, stopOnEntry: false }, () => client.setExceptionBreakpointsRequest({ filters: ['io-emulated'] }));
      assertLine(await topFrame(client), 'trap.g32', TRAP.IN);
      await resumeAndStop(client, () => client.continueRequest({ threadId: 1 }));
      assertLine(await topFrame(client), 'trap.g32', TRAP.CONSOLE);
      assert.match((await client.exceptionInfoRequest({ threadId: 1 })).body.description!, /device page: will be emulated/);
    });
  });

  describe('setExceptionBreakpoints (every event of the OS)', () => {
    const os = path.join(EXAMPLES, 'os', 'kernel.g32');
    const cases: Array<[string, string, RegExp]> = [
      ['syscall', os, /system call from pretend user mode/],
      ['reflected', os, /reflected to the guest's handler/],
      ['guest-page-fault', os, /not mapped for the guest|guest page fault/],
      ['hidden-page-fault', os, /missing only from the shadow: will be filled/],
      ['cr3-load', os, /guest cr3 load of 0x0000b000/],
      ['tlb-flush', os, /TLB flush/],
      ['privileged-emulated', os, /`mov evt, r1` in pretend kernel mode, will be emulated/],
      ['shadow-dropped', os, /shadow page table/],
      ['sensitive', path.join(EXAMPLES, 'popf.g32'), /sensitive instruction `pushf`/],
    ];
    for (const [filter, program, description] of cases) {
      it(`stops at ${filter} and describes it`, async () => {
        const stopped = await launchAndStop(client, { program, ...TE, stopOnEntry: false }, () => client.setExceptionBreakpointsRequest({ filters: [filter] }));
        assert.strictEqual(stopped.body.reason, 'exception');
        const info = await client.exceptionInfoRequest({ threadId: 1 });
        assert.strictEqual(info.body.exceptionId, filter);
        assert.match(info.body.description!, description);
      });
    }
  });

  describe('setExceptionBreakpoints (divergence from bare hardware)', () => {
    const popf = path.join(EXAMPLES, 'popf.g32');

    it('stops right after the first instruction that diverges from bare hardware, and again after a step back', async () => {
      const stopped = await launchAndStop(client, { program: popf, ...TE, stopOnEntry: false }, () => client.setExceptionBreakpointsRequest({ filters: ['divergence'] }));
      assert.strictEqual(stopped.body.reason, 'exception');
      const info = await client.exceptionInfoRequest({ threadId: 1 });
      assert.strictEqual(info.body.exceptionId, 'divergence');
      const description = info.body.description!;
      assert.match(
        description,
        /^divergence from bare hardware after \d+ instructions at 0x[0-9a-f]{8}: `popf` — flags: bare 0x00000202 \(.*IF=1\), trap-and-emulate 0x00000002 \(.*IF=0\); popf is sensitive but not privileged/,
      );
      const [, retired, pc] = /after (\d+) instructions at (0x[0-9a-f]{8})/.exec(description)!;
      assert.strictEqual(Number(retired), 1252);
      // Right after `popf` retired: the next instruction, with IF still 0 under trap-and-emulate.
      const frame = await topFrame(client);
      assert.strictEqual(parseInt(frame.instructionPointerReference!, 16), parseInt(pc, 16) + 4);
      assert.match((await client.disassembleRequest({ memoryReference: frame.instructionPointerReference!, instructionCount: 1 })).body!.instructions[0].instruction, /^ld r2, \[/);
      assert.strictEqual(await evaluate(client, 'IF'), '0x00000000 (0)');
      // Deterministic: from before the divergence, continue stops at the same place.
      await resumeAndStop(client, () => client.stepBackRequest({ threadId: 1 }));
      assert.strictEqual(parseInt((await topFrame(client)).instructionPointerReference!, 16), parseInt(pc, 16));
      const again = await resumeAndStop(client, () => client.continueRequest({ threadId: 1 }));
      assert.strictEqual(again.body.reason, 'exception');
      assert.strictEqual((await client.exceptionInfoRequest({ threadId: 1 })).body.description, description);
      // Past it, the run goes on to its end without stopping on this filter again.
      const output = collectOutput(client, 'stdout', (t) => t.includes('interrupts lost'));
      const exited = client.waitForEvent('exited');
      await client.continueRequest({ threadId: 1 });
      await output;
      assert.strictEqual((await exited).body.exitCode, 0);
    });

    it('does not stop under binary translation, which matches bare hardware', async () => {
      let nStops = 0;
      client.on('stopped', () => {
        nStops++;
      });
      const searched = collectOutput(client, 'console', (t) => t.includes('divergence search:'));
      const exited = client.waitForEvent('exited');
      await Promise.all([
        client
          .waitForEvent('initialized')
          .then(() => client.setExceptionBreakpointsRequest({ filters: ['divergence'] }))
          .then(() => client.configurationDoneRequest()),
        client.launch({ program: popf, virtualization: 'binary-translation', stopOnEntry: false }),
      ]);
      assert.match(await searched, /no divergence from bare hardware/);
      assert.strictEqual((await exited).body.exitCode, 0);
      assert.strictEqual(nStops, 0);
    });

    it('is not verified on bare hardware', async () => {
      await launchAndStop(client, { program: popf });
      const response = await client.setExceptionBreakpointsRequest({ filters: ['divergence'] });
      assert.strictEqual(response.body!.breakpoints![0].verified, false);
      assert.match(response.body!.breakpoints![0].message!, /bare hardware/);
    });
  });

  describe('stepIn', () => {
    it('steps into the hypervisor at a trapping instruction and line by line through its pseudocode', async () => {
      await launchAndStop(client, { program: fixture('trap.g32'), ...TE });
      await resumeAndStop(client, () => client.nextRequest({ threadId: 1 }));
      assertLine(await topFrame(client), 'trap.g32', TRAP.CLI);
      await resumeAndStop(client, () => client.stepInRequest({ threadId: 1 }));
      const [hvFrame, guestFrame] = await frames(client);
      assert.match(hvFrame.name, /^hypervisor trap\(\): protection fault/);
      assert.ok(hvFrame.source!.sourceReference! > 0);
      assertLine(guestFrame, 'trap.g32', TRAP.CLI);
      const source = await client.sourceRequest({ sourceReference: hvFrame.source!.sourceReference!, source: hvFrame.source });
      const lines = source.body.content.split('\n');
      assert.match(lines[hvFrame.line - 1], /^trap\(tf\)/);
      const visited: string[] = [];
      for (let i = 0; i < 20; i++) {
        const top = await topFrame(client);
        if (!top.source?.sourceReference) break;
        visited.push(lines[top.line - 1].trim().split(/\s+/)[0]);
        await resumeAndStop(client, () => client.stepInRequest({ threadId: 1 }));
      }
      assert.ok(visited.length >= 4, `went through ${visited.join(' | ')}`);
      assert.ok(lines.some((l) => l.includes('cli / sti')));
      assertLine(await topFrame(client), 'trap.g32', TRAP.IN);
      assert.match(await evaluate(client, 'IF'), /^0x00000000/);
    });

    it("shows the state before handling on the hypervisor's first lines and the state after it once the handler has acted", async () => {
      await launchAndStop(client, { program: fixture('trap.g32'), ...TE });
      assert.match(await evaluate(client, 'input k'), /typed 1 byte/);
      await resumeAndStop(client, () => client.nextRequest({ threadId: 1 }));
      await resumeAndStop(client, () => client.nextRequest({ threadId: 1 }));
      assertLine(await topFrame(client), 'trap.g32', TRAP.IN);
      const trapPc = await register(client, 'pc');
      await resumeAndStop(client, () => client.stepInRequest({ threadId: 1 }));
      const hvFrame = await topFrame(client);
      const lines = (await client.sourceRequest({ sourceReference: hvFrame.source!.sourceReference!, source: hvFrame.source })).body.content.split('\n');
      const seen: Array<{ line: string; pc: number; r1: number }> = [];
      for (let i = 0; i < 20; i++) {
        const top = await topFrame(client);
        if (!top.source?.sourceReference) break;
        seen.push({ line: lines[top.line - 1], pc: await register(client, 'pc'), r1: await register(client, 'r1') });
        await resumeAndStop(client, () => client.stepInRequest({ threadId: 1 }));
      }
      const summary = seen.map((s) => `${s.line.trim().slice(0, 20)} pc=${s.pc} r1=${s.r1}`).join('\n');
      assert.match(seen[0].line, /^trap\(tf\)/, summary);
      const decode = seen.findIndex((s) => s.line.includes('decode(guest_memory'));
      assert.ok(decode > 0, summary);
      for (const s of seen.slice(0, decode + 1)) assert.deepStrictEqual([s.pc, s.r1], [trapPc, 0], `before handling:\n${summary}`);
      const io = seen.findIndex((s) => s.line.includes('emulated_device'));
      assert.ok(io > decode, summary);
      assert.strictEqual(seen[io].r1, 1, summary);
      // Back in the guest: the state after handling.
      assertLine(await topFrame(client), 'trap.g32', TRAP.AFTER_IN);
      assert.strictEqual(await register(client, 'r1'), 1);
      assert.strictEqual(await register(client, 'pc'), trapPc + 8);
    });

    it('enters the hypervisor from a stop before a hidden page fault is handled', async () => {
      const os = path.join(EXAMPLES, 'os', 'kernel.g32');
      await launchAndStop(client, { program: os, ...TE, stopOnEntry: false }, () => client.setExceptionBreakpointsRequest({ filters: ['hidden-page-fault'] }));
      const before = await topFrame(client);
      await resumeAndStop(client, () => client.stepInRequest({ threadId: 1 }));
      const [hvFrame, guestFrame] = await frames(client);
      assert.match(hvFrame.name, /missing only from the shadow: will be filled/);
      assert.strictEqual(guestFrame.line, before.line);
      const content = (await client.sourceRequest({ sourceReference: hvFrame.source!.sourceReference!, source: hvFrame.source })).body.content.split('\n');
      const visited: string[] = [];
      while ((await topFrame(client)).source?.sourceReference) {
        visited.push(content[(await topFrame(client)).line - 1]);
        await resumeAndStop(client, () => client.nextRequest({ threadId: 1 }));
      }
      assert.ok(
        visited.some((l) => l.includes('hidden page fault: fill and retry')),
        visited.join('\n'),
      );
    });

    it('enters the guest exception handler on bare hardware', async () => {
      await launchAndStop(client, { program: fixture('gp.g32') }, () => client.setBreakpointsRequest({ source: { path: fixture('gp.g32') }, breakpoints: [{ line: GP.USER_CLI }] }));
      await resumeAndStop(client, () => client.continueRequest({ threadId: 1 }));
      assertLine(await topFrame(client), 'gp.g32', GP.USER_CLI);
      await resumeAndStop(client, () => client.stepInRequest({ threadId: 1 }));
      const stack = await frames(client);
      assertLine(stack[0], 'gp.g32', GP.GP_HANDLER);
      assertLine(stack[1], 'gp.g32', GP.USER_CLI);
      assert.match(stack[1].name, /interrupted by #GP/);
    });
  });

  describe('next', () => {
    it('steps one instruction, and over a call', async () => {
      await launchAndStop(client, { program: fixture('steps.g32') });
      await resumeAndStop(client, () => client.nextRequest({ threadId: 1 }));
      await resumeAndStop(client, () => client.nextRequest({ threadId: 1 }));
      assertLine(await topFrame(client), 'steps.g32', STEPS.CALL);
      await resumeAndStop(client, () => client.nextRequest({ threadId: 1 }));
      assertLine(await topFrame(client), 'steps.g32', STEPS.AFTER_CALL);
      assert.strictEqual(await register(client, 'r1'), 10);
    });
  });

  describe('stepOut', () => {
    it('runs until the function returns', async () => {
      await launchAndStop(client, { program: fixture('steps.g32'), stopOnEntry: false }, () =>
        client.setBreakpointsRequest({ source: { path: fixture('steps.g32') }, breakpoints: [{ line: STEPS.DOUBLE }] }),
      );
      await resumeAndStop(client, () => client.stepOutRequest({ threadId: 1 }));
      assertLine(await topFrame(client), 'steps.g32', STEPS.AFTER_CALL);
    });
  });

  describe('stepBack', () => {
    it('steps back across a trap and restores the guest state', async () => {
      await launchAndStop(client, { program: fixture('trap.g32'), ...TE });
      await resumeAndStop(client, () => client.nextRequest({ threadId: 1 }));
      await resumeAndStop(client, () => client.nextRequest({ threadId: 1 }));
      assertLine(await topFrame(client), 'trap.g32', TRAP.IN);
      await resumeAndStop(client, () => client.stepBackRequest({ threadId: 1 }));
      assertLine(await topFrame(client), 'trap.g32', TRAP.CLI);
      await resumeAndStop(client, () => client.stepBackRequest({ threadId: 1 }));
      assertLine(await topFrame(client), 'trap.g32', TRAP.FIRST);
      assert.strictEqual(await register(client, 'r2'), 0);
      await resumeAndStop(client, () => client.nextRequest({ threadId: 1 }));
      assert.strictEqual(await register(client, 'r2'), 1);
    });

    it('shows the state before handling again when stepping back to the decode line', async () => {
      await launchAndStop(client, { program: fixture('trap.g32'), ...TE });
      assert.match(await evaluate(client, 'input k'), /typed 1 byte/);
      await resumeAndStop(client, () => client.nextRequest({ threadId: 1 }));
      await resumeAndStop(client, () => client.nextRequest({ threadId: 1 }));
      await resumeAndStop(client, () => client.stepInRequest({ threadId: 1 }));
      const hvFrame = await topFrame(client);
      const lines = (await client.sourceRequest({ sourceReference: hvFrame.source!.sourceReference!, source: hvFrame.source })).body.content.split('\n');
      while (!lines[(await topFrame(client)).line - 1].includes('emulated_device')) await resumeAndStop(client, () => client.stepInRequest({ threadId: 1 }));
      assert.strictEqual(await register(client, 'r1'), 1);
      await resumeAndStop(client, () => client.stepBackRequest({ threadId: 1 }));
      assert.match(lines[(await topFrame(client)).line - 1], /decode\(guest_memory/);
      assert.strictEqual(await register(client, 'r1'), 0);
      await resumeAndStop(client, () => client.stepInRequest({ threadId: 1 }));
      assert.strictEqual(await register(client, 'r1'), 1);
      const exited = client.waitForEvent('exited');
      await client.continueRequest({ threadId: 1 });
      assert.strictEqual((await exited).body.exitCode, 0);
    });

    it('steps back out of the hypervisor frame (historySize 0: replays from the start)', async () => {
      await launchAndStop(client, { program: fixture('trap.g32'), ...TE, historySize: 0 });
      await resumeAndStop(client, () => client.nextRequest({ threadId: 1 }));
      await resumeAndStop(client, () => client.stepInRequest({ threadId: 1 }));
      await resumeAndStop(client, () => client.stepInRequest({ threadId: 1 }));
      const second = await topFrame(client);
      await resumeAndStop(client, () => client.stepBackRequest({ threadId: 1 }));
      assert.strictEqual((await topFrame(client)).line, second.line - 1);
      await resumeAndStop(client, () => client.stepBackRequest({ threadId: 1 }));
      assertLine(await topFrame(client), 'trap.g32', TRAP.CLI);
    });
  });

  describe('reverseContinue', () => {
    it('runs backwards to the last breakpoint hit', async () => {
      await launchAndStop(client, { program: fixture('forever.g32'), stopOnEntry: false }, () =>
        client.setBreakpointsRequest({ source: { path: fixture('forever.g32') }, breakpoints: [{ line: FOREVER.LOOP, condition: 'r1 == 40' }] }),
      );
      await client.setBreakpointsRequest({ source: { path: fixture('forever.g32') }, breakpoints: [{ line: FOREVER.LOOP, condition: 'r1 % 10 == 0' }] });
      await resumeAndStop(client, () => client.continueRequest({ threadId: 1 }));
      assert.strictEqual(await register(client, 'r1'), 50);
      await resumeAndStop(client, () => client.reverseContinueRequest({ threadId: 1 }));
      assert.strictEqual(await register(client, 'r1'), 40);
      await resumeAndStop(client, () => client.reverseContinueRequest({ threadId: 1 }));
      assert.strictEqual(await register(client, 'r1'), 30);
    });
  });

  describe('stepBack (snapshots)', () => {
    it('restores saved snapshots to run backwards over a long run', async () => {
      await launchAndStop(client, { program: fixture('forever.g32'), stopOnEntry: false, snapshotInterval: 1000 }, () =>
        client.setBreakpointsRequest({ source: { path: fixture('forever.g32') }, breakpoints: [{ line: FOREVER.LOOP, condition: 'r1 == 120000' }] }),
      );
      assert.match(await evaluate(client, 'history'), /[2-9] snapshot\(s\)/);
      await client.setBreakpointsRequest({ source: { path: fixture('forever.g32') }, breakpoints: [{ line: FOREVER.LOOP, condition: 'r1 % 10000 == 0' }] });
      for (const expected of [110000, 100000, 90000]) {
        await resumeAndStop(client, () => client.reverseContinueRequest({ threadId: 1 }));
        assert.strictEqual(await register(client, 'r1'), expected);
      }
      await resumeAndStop(client, () => client.stepBackRequest({ threadId: 1 }));
      assertLine(await topFrame(client), 'forever.g32', FOREVER.LOOP + 1);
      assert.strictEqual(await register(client, 'r1'), 90000);
      await resumeAndStop(client, () => client.continueRequest({ threadId: 1 }));
      assert.strictEqual(await register(client, 'r1'), 90000);
      await resumeAndStop(client, () => client.continueRequest({ threadId: 1 }));
      assert.strictEqual(await register(client, 'r1'), 100000);
    });
  });

  describe('pause', () => {
    it('stops a guest that runs forever', async () => {
      await launchAndStop(client, { program: fixture('forever.g32') });
      await client.continueRequest({ threadId: 1 });
      const stopped = await resumeAndStop(client, () => client.pauseRequest({ threadId: 1 }));
      assert.strictEqual(stopped.body.reason, 'pause');
      assert.ok((await register(client, 'r1')) > 0);
    });
  });

  describe('stackTrace', () => {
    it('shows a triple fault with the state still inspectable, then ends with exit code 2', async () => {
      const stopped = await launchAndStop(client, { program: fixture('triple.g32'), stopOnEntry: false });
      assert.strictEqual(stopped.body.reason, 'exception');
      assert.match((await client.exceptionInfoRequest({ threadId: 1 })).body.description!, /^triple fault/);
      assertLine(await topFrame(client), 'triple.g32', TRIPLE.PUSH);
      const exited = client.waitForEvent('exited');
      await client.continueRequest({ threadId: 1 });
      assert.strictEqual((await exited).body.exitCode, 2);
    });
  });

  describe('variables', () => {
    it('shows registers, decoded flags and the guest view of the CPU, and sets registers and flag bits', async () => {
      await launchAndStop(client, { program: fixture('trap.g32'), ...TE });
      const frame = await topFrame(client);
      const scopes = (await client.scopesRequest({ frameId: frame.id })).body.scopes;
      assert.deepStrictEqual(
        scopes.map((s) => s.name),
        ['Registers', 'Guest view of the CPU', 'Real CPU', 'Costs', 'Page table'],
      );
      const registers = (await client.variablesRequest({ variablesReference: scopes[0].variablesReference })).body.variables;
      assert.deepStrictEqual(registers.map((v) => v.name).slice(-3), ['sp', 'pc', 'flags']);
      const flags = registers.find((v) => v.name === 'flags')!;
      const bits = (await client.variablesRequest({ variablesReference: flags.variablesReference })).body.variables;
      assert.deepStrictEqual(
        bits.map((b) => b.name),
        ['CF', 'ZF', 'SF', 'OF', 'IF'],
      );
      const guestCpu = (await client.variablesRequest({ variablesReference: scopes[1].variablesReference })).body.variables;
      assert.strictEqual(guestCpu.find((v) => v.name === 'pretend mode')!.value, 'kernel');
      await client.setVariableRequest({ variablesReference: scopes[0].variablesReference, name: 'r7', value: '0x1234' });
      assert.strictEqual(await register(client, 'r7'), 0x1234);
      await client.setVariableRequest({ variablesReference: flags.variablesReference, name: 'ZF', value: '1' });
      assert.strictEqual(await evaluate(client, 'ZF'), '0x00000001 (1)');
    });
  });

  describe('evaluate', () => {
    it('evaluates registers, memory, labels and arithmetic, and runs commands', async () => {
      await launchAndStop(client, { program: fixture('steps.g32') }, () => client.setBreakpointsRequest({ source: { path: fixture('steps.g32') }, breakpoints: [{ line: STEPS.HLT }] }));
      await resumeAndStop(client, () => client.continueRequest({ threadId: 1 }));
      assert.strictEqual(await evaluate(client, 'r1 * 2 + 1'), '0x00000017 (23)');
      assert.strictEqual(await evaluate(client, '[counter]'), '0x0000000b (11)');
      assert.strictEqual(await evaluate(client, 'byte [counter]'), '0x0000000b (11)');
      assert.strictEqual(await evaluate(client, 'counter'), '0x00000048 (72)');
      assert.match(await evaluate(client, 'translate counter'), /paging is off/);
      assert.match(await evaluate(client, 'help'), /translate ADDR/);
      assert.match(await evaluate(client, 'costs'), /instructions retired/);
      await assert.rejects(client.evaluateRequest({ expression: 'nosuchlabel', context: 'repl' }), /unknown name/);
    });

    it('types keyboard input for the guest', async () => {
      await launchAndStop(client, { program: fixture('trap.g32'), ...TE });
      assert.match(await evaluate(client, 'input k'), /typed 1 byte/);
      await resumeAndStop(client, () => client.nextRequest({ threadId: 1 }));
      await resumeAndStop(client, () => client.nextRequest({ threadId: 1 }));
      await resumeAndStop(client, () => client.nextRequest({ threadId: 1 }));
      assert.strictEqual(await register(client, 'r1'), 1, 'keyboard status says a byte waits');
    });
  });

  describe('completions', () => {
    it('completes commands, registers and labels', async () => {
      await launchAndStop(client, { program: fixture('steps.g32') });
      const labels = (await client.completionsRequest({ text: 'cou', column: 4 })).body.targets.map((t) => t.label);
      assert.ok(labels.includes('counter'));
      const commands = (await client.completionsRequest({ text: 'tr', column: 3 })).body.targets.map((t) => t.label);
      assert.ok(commands.includes('translate'));
    });
  });

  describe('readMemory', () => {
    it('reads guest virtual, guest physical and machine memory', async () => {
      await launchAndStop(client, { program: fixture('steps.g32'), ...TE });
      const gva = await client.customRequest('readMemory', { memoryReference: 'gva:0x0', count: 4 });
      const gpa = await client.customRequest('readMemory', { memoryReference: 'gpa:0x0', count: 4 });
      assert.strictEqual(gva.body!.data, gpa.body!.data);
      const walk = await evaluate(client, 'translate 0');
      const ma = parseInt(/machine (0x[0-9a-f]{8})/.exec(walk)![1], 16);
      const machine = await client.customRequest('readMemory', { memoryReference: `ma:0x${ma.toString(16)}`, count: 4 });
      assert.strictEqual(machine.body!.data, gva.body!.data);
      assert.notStrictEqual(ma, 0, 'the hypervisor map is not the identity');
    });
  });

  describe('writeMemory', () => {
    it('writes guest memory that the program then reads', async () => {
      await launchAndStop(client, { program: fixture('steps.g32') });
      await client.customRequest('writeMemory', { memoryReference: 'gva:0x48', data: Buffer.from([0x2a, 0, 0, 0]).toString('base64') });
      assert.strictEqual(await evaluate(client, '[counter]'), '0x0000002a (42)');
    });
  });

  describe('disassemble', () => {
    it('disassembles around the pc with source locations', async () => {
      await launchAndStop(client, { program: fixture('steps.g32') });
      const frame = await topFrame(client);
      const response = await client.disassembleRequest({ memoryReference: frame.instructionPointerReference!, instructionOffset: -1, instructionCount: 4 });
      const instructions = response.body!.instructions;
      assert.strictEqual(instructions[1].address, '0x00000000');
      assert.strictEqual(instructions[1].instruction, 'mov sp, 0x8000');
      assert.strictEqual(instructions[1].line, STEPS.START);
      assert.strictEqual(instructions[1].symbol, '_start');
      assert.strictEqual(instructions[3].instruction, 'call 0x40 ; double');
    });
  });

  describe('setDataBreakpoints', () => {
    it('stops after a write to a watched guest address', async () => {
      await launchAndStop(client, { program: fixture('steps.g32') });
      const info = await client.dataBreakpointInfoRequest({ name: 'counter' });
      assert.ok(info.body.dataId);
      const set = await client.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId, accessType: 'write' }] });
      assert.strictEqual(set.body.breakpoints[0].verified, true);
      const stopped = await resumeAndStop(client, () => client.continueRequest({ threadId: 1 }));
      assert.strictEqual(stopped.body.reason, 'data breakpoint');
      assert.match(stopped.body.description!, /write to 0x00000048/);
      assert.strictEqual((await topFrame(client)).line, STEPS.STORE + 1);
    });
  });

  describe('hyperstep/snapshot', () => {
    it('returns page tables, TLB, timeline and costs at a stop', async () => {
      await launchAndStop(client, { program: path.join(EXAMPLES, 'os', 'kernel.g32'), ...TE, stopOnEntry: false }, () =>
        client.setBreakpointsRequest({ source: { path: path.join(EXAMPLES, 'os', 'user1.g32') }, breakpoints: [{ line: 25 }] }),
      );
      const snapshot = (await client.customRequest('hyperstep/snapshot', {})).body;
      assert.strictEqual(snapshot.version, 1);
      assert.strictEqual(snapshot.setting, 'trap-and-emulate / shadow-on-demand / separate');
      assert.ok(snapshot.guest.isPretendUser);
      assert.ok(snapshot.pageTables.guest.some((m: { va: number; pa: number }) => m.va === 0x00400000 && m.pa === 0x00020000));
      assert.ok(snapshot.pageTables.shadows.length > 0);
      assert.ok(snapshot.tlb.entries.length > 0);
      assert.ok(snapshot.timeline.some((t: { kind: string }) => t.kind === 'cr3-load'));
      assert.ok(snapshot.timeline.some((t: { source?: { path: string } }) => t.source && t.source.path.endsWith('.g32')));
      assert.ok(snapshot.costs.rows.length > 5);
      const walk = (await client.customRequest('hyperstep/walk', { va: 0x00400000 })).body;
      assert.deepStrictEqual(
        walk.steps.map((s: { table: string }) => s.table),
        ['guest', 'hypervisor-map', 'shadow', 'tlb'],
      );
    });
  });

  describe('examples', () => {
    it('runs the OS with timed input to the end, printing its lines', async () => {
      const output = collectOutput(client, 'stdout', (t) => t.includes('halting'));
      const exited = client.waitForEvent('exited');
      await launchAndRun(client, { program: path.join(EXAMPLES, 'os', 'kernel.g32'), ...TE, input: [{ tick: 2000, text: 'k' }] });
      const text = await output;
      assert.match(text, /\[user1\] read returned 'k'/);
      assert.strictEqual(text.split('\n').filter(Boolean).length, 15);
      assert.strictEqual((await exited).body.exitCode, 0);
    });
  });

  describe('evaluate (keyboard input while the guest waits)', () => {
    it('wakes a guest that waits in hlt for a key', async () => {
      const waiting = collectOutput(client, 'console', (t) => t.includes('waits in hlt for keyboard input'));
      const output = collectOutput(client, 'stdout', (t) => t.includes("read returned 'k'"));
      await launchAndRun(client, { program: path.join(EXAMPLES, 'os', 'kernel.g32'), ...TE });
      await waiting;
      assert.match(await evaluate(client, '> k'), /typed 1 byte/);
      assert.match(await output, /key 'k' wakes process 1/);
    });

    it('pauses a guest that waits for input', async () => {
      const waiting = collectOutput(client, 'console', (t) => t.includes('waits in hlt for keyboard input'));
      await launchAndRun(client, { program: path.join(EXAMPLES, 'os', 'kernel.g32'), ...TE });
      await waiting;
      const stopped = await resumeAndStop(client, () => client.pauseRequest({ threadId: 1 }));
      assert.strictEqual(stopped.body.reason, 'pause');
    });
  });

  describe('errors', () => {
    it('answers nonsense with error responses and keeps working', async () => {
      await client.initializeRequest();
      await assert.rejects(client.stackTraceRequest({ threadId: 1 }), /launch one first/);
      await launchAndStop(client, { program: fixture('steps.g32') });
      await assert.rejects(client.customRequest('readMemory', { memoryReference: 'somewhere', count: 4 }), /memory reference/);
      await assert.rejects(client.customRequest('disassemble', { memoryReference: 'xyz', instructionCount: 2 }), /memory reference/);
      const foreign = (await client.setDataBreakpointsRequest({ breakpoints: [{ dataId: 'nope' }] })).body.breakpoints[0];
      assert.strictEqual(foreign.verified, false);
      assert.match(foreign.message!, /not one of this adapter's/);
      await assert.rejects(client.sourceRequest({ sourceReference: 99 }), /no source/);
      await assert.rejects(client.customRequest('hyperstep/walk', {}), /needs \{ va/);
      await assert.rejects(client.customRequest('hyperstep/frobnicate', {}), /unknown request/);
      await assert.rejects(client.exceptionInfoRequest({ threadId: 1 }), /did not stop on an exception/);
      await assert.rejects(client.evaluateRequest({ expression: '[0x7fffffff] +', context: 'repl' }), /ends too early/);
      await assert.rejects(client.variablesRequest({ variablesReference: 12345 }), /no variables with reference 12345/);
      const unreadable = await client.customRequest('readMemory', { memoryReference: 'gpa:0x7fff0000', count: 8 });
      assert.strictEqual(unreadable.body.unreadableBytes, 8);
      assert.strictEqual((await client.threadsRequest()).body.threads.length, 1);
    });
  });

  describe('every setting', () => {
    const settings: Array<Record<string, string>> = [
      { virtualization: 'none' },
      { virtualization: 'trap-and-emulate', paging: 'shadow-proactive' },
      { virtualization: 'paravirtual' },
      { virtualization: 'binary-translation' },
      { virtualization: 'hardware-assist', paging: 'nested' },
      { virtualization: 'hardware-assist' },
    ];
    for (const setting of settings) {
      it(`breaks, steps and steps back in a user program of the OS under ${Object.values(setting).join(' / ')}`, async () => {
        const user1 = path.join(EXAMPLES, 'os', 'user1.g32');
        await launchAndStop(client, { program: path.join(EXAMPLES, 'os', 'kernel.g32'), ...setting, stopOnEntry: false, input: [{ tick: 2000, text: 'k' }] }, () =>
          client.setBreakpointsRequest({ source: { path: user1 }, breakpoints: [{ line: 25 }] }),
        );
        assertLine(await topFrame(client), 'user1.g32', 25);
        await resumeAndStop(client, () => client.nextRequest({ threadId: 1 }));
        assertLine(await topFrame(client), 'user1.g32', 26);
        await resumeAndStop(client, () => client.stepBackRequest({ threadId: 1 }));
        assertLine(await topFrame(client), 'user1.g32', 25);
        await client.setBreakpointsRequest({ source: { path: user1 }, breakpoints: [] });
        const output = collectOutput(client, 'stdout', (t) => t.includes('halting'));
        const exited = client.waitForEvent('exited');
        await client.continueRequest({ threadId: 1 });
        assert.match(await output, /\[user1\] read returned 'k'/);
        assert.strictEqual((await exited).body.exitCode, 0);
      });
    }
  });

  describe('setBreakpoints (binary translation)', () => {
    it('stops in translated kernel code and steps through it', async () => {
      await launchAndStop(client, { program: fixture('steps.g32'), virtualization: 'binary-translation', stopOnEntry: false }, () =>
        client.setBreakpointsRequest({ source: { path: fixture('steps.g32') }, breakpoints: [{ line: STEPS.DOUBLE }] }),
      );
      assertLine(await topFrame(client), 'steps.g32', STEPS.DOUBLE);
      await resumeAndStop(client, () => client.nextRequest({ threadId: 1 }));
      assertLine(await topFrame(client), 'steps.g32', STEPS.RET);
      await resumeAndStop(client, () => client.nextRequest({ threadId: 1 }));
      assertLine(await topFrame(client), 'steps.g32', STEPS.AFTER_CALL);
      assert.strictEqual(await register(client, 'r1'), 10);
      await resumeAndStop(client, () => client.stepBackRequest({ threadId: 1 }));
      assertLine(await topFrame(client), 'steps.g32', STEPS.RET);
    });
  });

  describe('restart', () => {
    it('starts the program again', async () => {
      await launchAndStop(client, { program: fixture('steps.g32') });
      await resumeAndStop(client, () => client.nextRequest({ threadId: 1 }));
      await resumeAndStop(client, () => client.restartRequest({}));
      assertLine(await topFrame(client), 'steps.g32', STEPS.START);
    });
  });

  describe('terminate', () => {
    it('ends the session', async () => {
      await launchAndStop(client, { program: fixture('forever.g32') });
      const terminated = client.waitForEvent('terminated');
      await client.terminateRequest({});
      await terminated;
    });
  });
});
