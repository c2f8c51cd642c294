// RunControl over a small real machine: a step stops at the next instruction,
// step over runs a call to its return, continue stops at an instruction
// breakpoint, and a guest that halts ends the run with exit code 0.

import * as assert from 'assert';
import { control, COUNTER_PROGRAM, machine, Recorder, symbol } from './harness';

describe('debug parts: RunControl', () => {
  it('stops on entry when asked, then a step stops at the next instruction', () => {
    const m = machine(COUNTER_PROGRAM);
    const recorder = new Recorder();
    const { control: run } = control(m, recorder);
    run.start();
    assert.deepStrictEqual(
      recorder.stops.map((s) => s.reason),
      ['entry'],
    );
    const target = m.current.target;
    const pc = target.pc(0);
    run.resume({ kind: 'step', guest: 0, isStepIn: false, isOver: true });
    assert.deepStrictEqual(
      recorder.stops.map((s) => s.reason),
      ['entry', 'step'],
    );
    assert.strictEqual(target.pc(0), pc + m.current.target.peek(0, pc)!.length);
    assert.strictEqual(target.retired(0), 1);
    assert.strictEqual(run.isRunning, false);
    assert.strictEqual(m.runState.stepWatch, undefined, 'the run state is cleared after the stop');
  });

  it('step over a call stops after it returns, with the callee run', () => {
    const m = machine(COUNTER_PROGRAM);
    const recorder = new Recorder();
    const { control: run } = control(m, recorder);
    const target = m.current.target;
    const call = symbol(m.assembled, 'loop') + target.peek(0, symbol(m.assembled, 'loop'))!.length;
    while (target.pc(0) !== call) run.resume({ kind: 'step', guest: 0, isStepIn: false, isOver: true });
    const r2 = target.regs(0)[2];
    run.resume({ kind: 'step', guest: 0, isStepIn: false, isOver: true });
    assert.strictEqual(recorder.stops.at(-1)?.description, 'step over the call');
    assert.strictEqual(target.pc(0), call + target.peek(0, call)!.length);
    assert.strictEqual(target.regs(0)[2], r2 + 2, 'bump ran');
  });

  it('continue stops at an instruction breakpoint, and its hit condition counts hits', () => {
    const m = machine(COUNTER_PROGRAM);
    const recorder = new Recorder();
    const { control: run, breakpoints } = control(m, recorder);
    const bump = symbol(m.assembled, 'bump');
    const [record] = breakpoints.setInstructions([{ address: bump, hitCondition: '3' }]);
    run.resume({ kind: 'continue' });
    const stop = recorder.stops.at(-1)!;
    assert.strictEqual(stop.reason, 'instruction breakpoint');
    assert.deepStrictEqual(stop.hitBreakpointIds, [record.id]);
    assert.strictEqual(m.current.target.pc(0), bump);
    assert.strictEqual(m.current.target.regs(0)[1], 3, 'the third call');
  });

  it('a guest that halts ends the run: exit code 0, and nothing runs after', () => {
    const m = machine(COUNTER_PROGRAM);
    const recorder = new Recorder();
    const { control: run } = control(m, recorder);
    assert.strictEqual(run.runToStop(), 'exited');
    assert.ok(recorder.events.some((e) => e.kind === 'exited' && e.exitCode === 0));
    assert.strictEqual(run.hasExited, true);
    const nEvents = recorder.events.length;
    run.resume({ kind: 'continue' });
    assert.strictEqual(recorder.events.length, nEvents);
  });
});
