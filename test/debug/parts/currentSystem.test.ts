// CurrentSystem and ReplayMode: the run position counts guest ticks and
// exceptions, a fresh system starts it again, and a replay re-aims the CPU's
// tick budget so it ends exactly at its target position.

import * as assert from 'assert';
import { createSystem } from '../../../src/hypervisor/system';
import { COUNTER_PROGRAM, machine, runTicks } from './harness';

describe('debug parts: CurrentSystem and ReplayMode', () => {
  it('the run position is guest ticks plus exceptions; a fresh system starts it at 0', () => {
    const m = machine(COUNTER_PROGRAM);
    runTicks(m.current, 6);
    const ticks = m.current.target.totalTicks();
    assert.ok(ticks > 0);
    m.current.countEvent();
    m.current.countEvent();
    assert.strictEqual(m.current.position(), ticks + 2);
    const old = m.current.target;
    m.current.replace(createSystem(m.options));
    assert.notStrictEqual(m.current.target, old);
    assert.strictEqual(m.current.position(), 0);
  });

  it('a replay aimed at a position re-aims the tick budget at it after an exception is counted; not when no replay runs', () => {
    const m = machine(COUNTER_PROGRAM);
    const cpu = m.current.target.cpu;
    cpu.runUntilTick = 999;
    m.replayMode.reaim();
    assert.strictEqual(cpu.runUntilTick, 999);
    m.replayMode.setReplaying(true);
    m.replayMode.aim(10);
    m.current.countEvent();
    m.replayMode.reaim();
    assert.strictEqual(cpu.runUntilTick, cpu.ticks + 9);
    m.replayMode.aim(undefined);
    m.replayMode.setReplaying(false);
    assert.strictEqual(m.replayMode.replayTarget, undefined);
  });

  it('a search is a replay, and ends as one', () => {
    const m = machine(COUNTER_PROGRAM);
    m.replayMode.setSearching(true);
    assert.deepStrictEqual([m.replayMode.isReplaying, m.replayMode.isSearching], [true, true]);
    m.replayMode.setSearching(false);
    assert.deepStrictEqual([m.replayMode.isReplaying, m.replayMode.isSearching], [false, false]);
  });
});
