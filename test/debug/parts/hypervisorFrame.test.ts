// The hypervisor frame over a small guest under trap-and-emulate: step into at
// a held `cli` trap walks the handler's pseudocode lines, showing the state
// before handling on the lines that change nothing yet and after from the
// first line that acts; stepping past the last line is back in the guest.

import * as assert from 'assert';
import { HypervisorFrameView } from '../../../src/debug/hypervisorFrame';
import type { RuntimeBookkeeping } from '../../../src/debug/runtime';
import { breakpointsAndFilters, machine, Recorder, symbol } from './harness';

const CLI_GUEST = `
_start:
        mov r1, 5
trap:
        cli
after:
        mov r2, 7
        hlt
`;

describe('debug parts: HypervisorFrameView', () => {
  it('walks the pseudocode of a held trap, before then after handling, then returns to the guest', () => {
    const m = machine(CLI_GUEST, 'trap-and-emulate');
    const recorder = new Recorder();
    const { cpuBreakpoints, filters } = breakpointsAndFilters(m, recorder, { instructionText: 'cli', divergenceUnavailable: undefined });
    let bookkeeping: RuntimeBookkeeping = { eventCount: 0, handlerStacks: [], shadowDrops: 0 };
    const hvFrame = new HypervisorFrameView({
      run: m.current,
      state: m.runState,
      filters,
      cpuBreakpoints,
      runSystem: () => m.current.system.run(),
      stop: recorder.stop,
      bookkeeping: () => bookkeeping,
      loadBookkeeping: (saved) => {
        bookkeeping = saved;
      },
    });
    const target = m.current.target;
    filters.set([{ filterId: 'privileged-emulated' }]);
    target.hv!.shouldStopAtTrap = filters.shouldStopAtTrap;
    const trapPc = symbol(m.assembled, 'trap');
    const result = m.current.system.run();
    assert.strictEqual(result.reason, 'requested');
    const held = m.runState.takeHeldTrap()!;
    assert.strictEqual(held.filterId, 'privileged-emulated');
    assert.strictEqual(target.pc(0), trapPc);

    hvFrame.enter(0, held.event);
    const frame = hvFrame.frame!;
    assert.strictEqual(frame.trace[0], 'entry');
    assert.strictEqual(frame.trapPc, trapPc);
    assert.match(recorder.stops.at(-1)!.description, /^hypervisor: /);
    assert.strictEqual(target.pc(0), trapPc, 'the first line shows the state before handling');
    assert.strictEqual(filters.isSuppressed, false, 'filters speak again once the handler ran');

    const lines: string[] = [frame.trace[0]];
    let sawAfter = false;
    while (hvFrame.frame) {
      assert.strictEqual(hvFrame.resume({ kind: 'step', guest: 0, isStepIn: true, isOver: false }), true);
      if (hvFrame.frame) {
        lines.push(hvFrame.frame.trace[hvFrame.frame.index]);
        if (target.pc(0) !== trapPc) sawAfter = true;
      }
    }
    assert.ok(lines.length > 1, `lines: ${lines.join(', ')}`);
    assert.ok(sawAfter, 'a line that acts shows the state after handling');
    assert.strictEqual(recorder.stops.at(-1)!.description, 'back in the guest');
    assert.strictEqual(target.pc(0), symbol(m.assembled, 'after'));
  });

  it('step back in the frame goes to the previous line, and not before the first', () => {
    const m = machine(CLI_GUEST, 'trap-and-emulate');
    const recorder = new Recorder();
    const { cpuBreakpoints, filters } = breakpointsAndFilters(m, recorder, { instructionText: 'cli', divergenceUnavailable: undefined });
    const hvFrame = new HypervisorFrameView({
      run: m.current,
      state: m.runState,
      filters,
      cpuBreakpoints,
      runSystem: () => m.current.system.run(),
      stop: recorder.stop,
      bookkeeping: () => ({ eventCount: 0, handlerStacks: [], shadowDrops: 0 }),
      loadBookkeeping: () => undefined,
    });
    filters.set([{ filterId: 'privileged-emulated' }]);
    m.current.target.hv!.shouldStopAtTrap = filters.shouldStopAtTrap;
    m.current.system.run();
    hvFrame.enter(0, m.runState.takeHeldTrap()!.event);
    assert.strictEqual(hvFrame.backOneLine(), false);
    hvFrame.resume({ kind: 'step', guest: 0, isStepIn: true, isOver: false });
    assert.strictEqual(hvFrame.frame?.index, 1);
    assert.strictEqual(hvFrame.backOneLine(), true);
    assert.strictEqual(hvFrame.frame?.index, 0);
    assert.strictEqual(m.current.target.pc(0), symbol(m.assembled, 'trap'));
  });
});
