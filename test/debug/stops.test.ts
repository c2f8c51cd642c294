// Where the debugger stops for a fault, on every setting, and going back to
// it: trap filters stop at the faulting instruction before delivery (bare
// hardware) or before handling (under the hypervisor), and reverse continue
// finds breakpoints in paged user programs and exception-filter stops.

import * as assert from 'assert';
import * as path from 'path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { assertLine, EXAMPLES, fixture, frames, launchAndStop, withAdapterClient, register, resumeAndStop, topFrame } from './helpers';

/** Named lines of faults.g32. */
const FAULTS = { SYSCALL: 29, AFTER_SYSCALL: 30, USER_CLI: 31, AFTER_CLI: 32, LOAD: 33, SYSCALL_HANDLER: 36, GP_HANDLER: 40, PF_HANDLER: 47 };

const SETTINGS: Array<Record<string, string>> = [
  { virtualization: 'none' },
  { virtualization: 'trap-and-emulate' },
  { virtualization: 'binary-translation' },
  { virtualization: 'paravirtual' },
  { virtualization: 'hardware-assist', paging: 'nested' },
  { virtualization: 'hardware-assist', paging: 'shadow-on-demand' },
];
/** Bare hardware, a trap the hypervisor handles, and a delivery in guest mode with no exit (hardware assist). */
const HOLDS = [SETTINGS[0], SETTINGS[1], SETTINGS[4]];
const settingName = (setting: Record<string, string>): string => Object.values(setting).join(' / ');

describe('debug adapter: stops at faults', function () {
  this.timeout(30000);
  let client: DebugClient;

  withAdapterClient((started) => {
    client = started;
  });

  // Under the hypervisor every privileged instruction of the kernel is a real #GP too: the guest-visible ones come from user mode.
  const filterOptions = (filters: string[]) => filters.map((filterId) => ({ filterId, condition: filterId === 'protection-fault' ? 'mode == user' : undefined }));
  const launchWithFilters = (setting: Record<string, string>, filters: string[]) =>
    launchAndStop(client, { program: fixture('faults.g32'), ...setting, stopOnEntry: false }, () => client.setExceptionBreakpointsRequest({ filters: [], filterOptions: filterOptions(filters) }));

  describe('setExceptionBreakpoints (trap filters stop at the faulting line)', () => {
    const cases: Array<[string, number, RegExp]> = [
      // A system call is a trap: it has retired, and the saved pc is the next instruction's.
      ['syscall', FAULTS.AFTER_SYSCALL, /system call from (pretend |guest )?user mode/],
      ['protection-fault', FAULTS.USER_CLI, /protection fault at 0x[0-9a-f]{8}: `cli` in (pretend |guest )?user mode/],
      ['guest-page-fault', FAULTS.LOAD, /0x00300000/],
    ];
    for (const setting of SETTINGS) {
      for (const [filter, line, description] of cases) {
        it(`stops at ${filter} on its line, before the guest's handler runs, under ${settingName(setting)}`, async () => {
          const stopped = await launchWithFilters(setting, [filter]);
          assert.strictEqual(stopped.body.reason, 'exception');
          const stack = await frames(client);
          assertLine(stack[0], 'faults.g32', line);
          assert.ok(!stack.some((f) => /interrupted by/.test(f.name)), `no handler frame yet: ${stack.map((f) => f.name).join(' / ')}`);
          const info = await client.exceptionInfoRequest({ threadId: 1 });
          assert.strictEqual(info.body.exceptionId, filter);
          assert.match(info.body.description!, description);
        });
      }
    }

    for (const setting of [HOLDS[0], HOLDS[2]]) {
      it(`steps into the guest handler from a protection-fault stop under ${settingName(setting)}`, async () => {
        await launchWithFilters(setting, ['protection-fault']);
        assertLine(await topFrame(client), 'faults.g32', FAULTS.USER_CLI);
        await resumeAndStop(client, () => client.stepInRequest({ threadId: 1 }));
        const stack = await frames(client);
        assertLine(stack[0], 'faults.g32', FAULTS.GP_HANDLER);
        assertLine(stack[1], 'faults.g32', FAULTS.USER_CLI);
        assert.match(stack[1].name, /interrupted by #GP/);
      });
    }

    it('steps into the hypervisor from the same stop under trap-and-emulate', async () => {
      await launchWithFilters({ virtualization: 'trap-and-emulate' }, ['protection-fault']);
      await resumeAndStop(client, () => client.stepInRequest({ threadId: 1 }));
      assert.strictEqual((await topFrame(client)).source?.name, 'hypervisor trap(tf)');
    });

    for (const setting of HOLDS) {
      it(`continues from each stop into the handler, which runs, under ${settingName(setting)}`, async () => {
        await launchWithFilters(setting, ['syscall', 'protection-fault', 'guest-page-fault']);
        assertLine(await topFrame(client), 'faults.g32', FAULTS.AFTER_SYSCALL);
        await resumeAndStop(client, () => client.continueRequest({ threadId: 1 }));
        assertLine(await topFrame(client), 'faults.g32', FAULTS.USER_CLI);
        await resumeAndStop(client, () => client.continueRequest({ threadId: 1 }));
        // The #GP handler skipped the cli: the next instruction ran.
        assertLine(await topFrame(client), 'faults.g32', FAULTS.LOAD);
        assert.strictEqual(await register(client, 'r3'), 2);
        const exited = client.waitForEvent('exited');
        await client.continueRequest({ threadId: 1 });
        assert.strictEqual((await exited).body.exitCode, 0);
      });
    }
  });

  describe('stepBack (an edit made at a held trap)', () => {
    for (const setting of HOLDS) {
      it(`replays the edit before the trap is delivered, as it was made, under ${settingName(setting)}`, async () => {
        await launchWithFilters(setting, ['protection-fault', 'guest-page-fault']);
        assertLine(await topFrame(client), 'faults.g32', FAULTS.USER_CLI);
        // At the held #GP, move the user stack: the delivery saves this sp and iret restores it.
        const scopes = (await client.scopesRequest({ frameId: (await topFrame(client)).id })).body.scopes;
        await client.setVariableRequest({ variablesReference: scopes[0].variablesReference, name: 'sp', value: '0x6000' });
        await resumeAndStop(client, () => client.continueRequest({ threadId: 1 }));
        assertLine(await topFrame(client), 'faults.g32', FAULTS.LOAD);
        assert.strictEqual(await register(client, 'sp'), 0x6000);
        // Step back replays from the start and makes the edit again at the held trap, not in the handler.
        await resumeAndStop(client, () => client.stepBackRequest({ threadId: 1 }));
        assertLine(await topFrame(client), 'faults.g32', FAULTS.AFTER_CLI);
        assert.strictEqual(await register(client, 'sp'), 0x6000);
        assert.strictEqual(await register(client, 'r3'), 1);
      });
    }
  });

  describe('reverseContinue (exception filters)', () => {
    for (const setting of HOLDS) {
      it(`runs back to the previous trap-filter stop, held before delivery, under ${settingName(setting)}`, async () => {
        await launchWithFilters(setting, ['syscall', 'protection-fault', 'guest-page-fault']);
        await resumeAndStop(client, () => client.continueRequest({ threadId: 1 }));
        await resumeAndStop(client, () => client.continueRequest({ threadId: 1 }));
        assertLine(await topFrame(client), 'faults.g32', FAULTS.LOAD);

        const back = await resumeAndStop(client, () => client.reverseContinueRequest({ threadId: 1 }));
        assert.strictEqual(back.body.reason, 'exception');
        assertLine(await topFrame(client), 'faults.g32', FAULTS.USER_CLI);
        assert.strictEqual((await client.exceptionInfoRequest({ threadId: 1 })).body.exceptionId, 'protection-fault');
        assert.strictEqual(await register(client, 'r3'), 1);

        await resumeAndStop(client, () => client.reverseContinueRequest({ threadId: 1 }));
        assertLine(await topFrame(client), 'faults.g32', FAULTS.AFTER_SYSCALL);
        assert.strictEqual((await client.exceptionInfoRequest({ threadId: 1 })).body.exceptionId, 'syscall');

        const start = await resumeAndStop(client, () => client.reverseContinueRequest({ threadId: 1 }));
        assert.strictEqual(start.body.reason, 'entry');

        // Forward again: the same stops, and the held trap is delivered on continue.
        await resumeAndStop(client, () => client.continueRequest({ threadId: 1 }));
        assertLine(await topFrame(client), 'faults.g32', FAULTS.AFTER_SYSCALL);
        await resumeAndStop(client, () => client.continueRequest({ threadId: 1 }));
        assertLine(await topFrame(client), 'faults.g32', FAULTS.USER_CLI);
        await resumeAndStop(client, () => client.stepInRequest({ threadId: 1 }));
        if (setting.virtualization !== 'trap-and-emulate') assertLine(await topFrame(client), 'faults.g32', FAULTS.GP_HANDLER);
        else assert.strictEqual((await topFrame(client)).source?.name, 'hypervisor trap(tf)');
      });
    }

    it('stops at an event filter (cr3 load) going backwards', async () => {
      await launchWithFilters({ virtualization: 'trap-and-emulate' }, ['guest-page-fault']);
      await client.setExceptionBreakpointsRequest({ filters: ['cr3-load'] });
      const back = await resumeAndStop(client, () => client.reverseContinueRequest({ threadId: 1 }));
      assert.strictEqual(back.body.reason, 'exception');
      assert.strictEqual((await client.exceptionInfoRequest({ threadId: 1 })).body.exceptionId, 'cr3-load');
      // Right after `mov cr3, r1`: the next line.
      assertLine(await topFrame(client), 'faults.g32', 23);
    });
  });

  describe('reverseContinue (input typed during the run)', () => {
    it('replays the typed key on its way back, so it finds the stops that came after it', async () => {
      // poll.g32 polls the keyboard status (line 3, then `test r1, 1` on line 4) until a key comes, then reads it (line 6).
      const poll = fixture('poll.g32');
      await launchAndStop(client, { program: poll, virtualization: 'none' }, () => client.setBreakpointsRequest({ source: { path: poll }, breakpoints: [{ line: 6 }] }));
      await client.continueRequest({ threadId: 1 });
      await resumeAndStop(client, () => client.pauseRequest({ threadId: 1 }));
      await client.evaluateRequest({ expression: 'input k', context: 'repl' });
      await resumeAndStop(client, () => client.continueRequest({ threadId: 1 }));
      assertLine(await topFrame(client), 'poll.g32', 6);
      // The status test saw the key only after it was typed.
      await client.setBreakpointsRequest({ source: { path: poll }, breakpoints: [{ line: 4, condition: 'r1 == 1' }] });
      const back = await resumeAndStop(client, () => client.reverseContinueRequest({ threadId: 1 }));
      assert.strictEqual(back.body.reason, 'breakpoint');
      assertLine(await topFrame(client), 'poll.g32', 4);
      assert.strictEqual(await register(client, 'r1'), 1);
    });
  });

  describe('reverseContinue (breakpoints in paged user programs)', () => {
    for (const setting of SETTINGS.slice(0, 2)) {
      it(`runs back from the second hit of a breakpoint in user1 to the first under ${setting.virtualization}`, async () => {
        const user1 = path.join(EXAMPLES, 'os', 'user1.g32');
        await launchAndStop(client, { program: path.join(EXAMPLES, 'os', 'kernel.g32'), ...setting, stopOnEntry: false, input: [{ tick: 2000, text: 'k' }] }, () =>
          client.setBreakpointsRequest({ source: { path: user1 }, breakpoints: [{ line: 22 }] }),
        );
        assertLine(await topFrame(client), 'user1.g32', 22);
        assert.strictEqual(await register(client, 'r5'), '1'.charCodeAt(0));
        await resumeAndStop(client, () => client.continueRequest({ threadId: 1 }));
        assert.strictEqual(await register(client, 'r5'), '2'.charCodeAt(0));
        const back = await resumeAndStop(client, () => client.reverseContinueRequest({ threadId: 1 }));
        assert.strictEqual(back.body.reason, 'breakpoint');
        assertLine(await topFrame(client), 'user1.g32', 22);
        assert.strictEqual(await register(client, 'r5'), '1'.charCodeAt(0));
      });
    }
  });
});
