// CpuBreakpoints decides at a hit whether the breakpoints there stop:
// conditions, hit counts and logpoints; and gives the CPU every address to
// watch, step over's temporary stop included, but none in a quiet replay.

import * as assert from 'assert';
import { Breakpoints } from '../../../src/debug/breakpoints';
import { CpuBreakpoints } from '../../../src/debug/cpuBreakpoints';
import { COUNTER_PROGRAM, machine, Machine, Recorder, registers, symbol } from './harness';

function over(m: Machine, recorder: Recorder, values: Record<string, number> = {}): { cpuBreakpoints: CpuBreakpoints; breakpoints: Breakpoints; flushes: string[] } {
  const breakpoints = new Breakpoints([m.assembled.lineMap]);
  const flushes: string[] = [];
  const cpuBreakpoints = new CpuBreakpoints({
    run: m.current,
    breakpoints,
    replay: m.replayMode,
    runState: m.runState,
    evalContext: () => registers(values),
    emit: recorder.emit,
    flushOutput: () => {
      flushes.push(`before event ${recorder.events.length}`);
    },
  });
  return { cpuBreakpoints, breakpoints, flushes };
}

describe('debug parts: CpuBreakpoints', () => {
  it('a condition decides whether the breakpoint stops', () => {
    const m = machine(COUNTER_PROGRAM);
    const bump = symbol(m.assembled, 'bump');
    const off = over(m, new Recorder(), { r1: 4 });
    off.breakpoints.setInstructions([{ address: bump, condition: 'r1 == 5' }]);
    assert.deepStrictEqual(off.cpuBreakpoints.check(0, bump, { isCounting: true }), []);
    const on = over(m, new Recorder(), { r1: 5 });
    const [record] = on.breakpoints.setInstructions([{ address: bump, condition: 'r1 == 5' }]);
    assert.deepStrictEqual(
      on.cpuBreakpoints.check(0, bump, { isCounting: true }).map((r) => r.id),
      [record.id],
    );
  });

  it('a hit count stops at the nth hit; a search does not count', () => {
    const m = machine(COUNTER_PROGRAM);
    const bump = symbol(m.assembled, 'bump');
    const { cpuBreakpoints, breakpoints } = over(m, new Recorder());
    breakpoints.setInstructions([{ address: bump, hitCondition: '2' }]);
    assert.strictEqual(cpuBreakpoints.check(0, bump, { isCounting: false }).length, 0);
    assert.strictEqual(cpuBreakpoints.check(0, bump, { isCounting: true }).length, 0, 'first hit');
    assert.strictEqual(cpuBreakpoints.check(0, bump, { isCounting: true }).length, 1, 'second hit');
  });

  it('a logpoint prints after the pending guest output and does not stop; a failing condition says why', () => {
    const m = machine(COUNTER_PROGRAM);
    const bump = symbol(m.assembled, 'bump');
    const recorder = new Recorder();
    const { cpuBreakpoints, breakpoints, flushes } = over(m, recorder, { r1: 7 });
    breakpoints.setInstructions([
      { address: bump, logMessage: 'r1 is {r1}' },
      { address: bump, condition: 'nosuch + 1' },
    ]);
    assert.deepStrictEqual(cpuBreakpoints.check(0, bump, { isCounting: true }), []);
    assert.strictEqual(recorder.text('console'), 'r1 is 0x00000007 (7)\n');
    assert.deepStrictEqual(flushes, ['before event 0']);
    assert.match(recorder.text('stderr'), /breakpoint condition 'nosuch \+ 1'/);
  });

  it("gives the CPU the breakpoints and step over's temporary stop, and none in a quiet replay", () => {
    const m = machine(COUNTER_PROGRAM);
    const bump = symbol(m.assembled, 'bump');
    const { cpuBreakpoints, breakpoints } = over(m, new Recorder());
    const cpu = m.current.target.cpu;
    breakpoints.setInstructions([{ address: bump }]);
    m.runState.setTempBreak({ guest: 0, address: 0x1234, sp: 0x8000 });
    cpuBreakpoints.refresh();
    assert.deepStrictEqual(
      [...cpu.breakpoints].sort((a, b) => a - b),
      [0x1234, bump].sort((a, b) => a - b),
    );
    m.runState.endRun();
    breakpoints.setInstructions([]);
    m.replayMode.setReplaying(true);
    cpuBreakpoints.refresh();
    assert.strictEqual(cpu.breakpoints.size, 2, 'a quiet replay leaves the CPU alone');
    m.replayMode.setReplaying(false);
    cpuBreakpoints.refresh();
    assert.strictEqual(cpu.breakpoints.size, 0);
  });
});
