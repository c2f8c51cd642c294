// Single stepping, through run control: step out runs to the return of the
// function it is in; continue with a data breakpoint stops right after the
// instruction that writes the watched word, naming it and the value now.

import * as assert from 'assert';
import { control, COUNTER_PROGRAM, machine, Recorder, symbol } from './harness';

describe('debug parts: SingleStep', () => {
  it('step out runs to the return of the current function', () => {
    const m = machine(COUNTER_PROGRAM);
    const recorder = new Recorder();
    const { control: run } = control(m, recorder);
    const target = m.current.target;
    const bump = symbol(m.assembled, 'bump');
    while (target.pc(0) !== bump) run.resume({ kind: 'step', guest: 0, isStepIn: true, isOver: false });
    run.resume({ kind: 'stepOut', guest: 0 });
    assert.strictEqual(recorder.stops.at(-1)?.description, 'step out: the function returned');
    const call = symbol(m.assembled, 'loop') + target.peek(0, symbol(m.assembled, 'loop'))!.length;
    assert.strictEqual(target.pc(0), call + target.peek(0, call)!.length, 'just after the call');
    assert.strictEqual(target.regs(0)[2], 2);
  });

  it('a data breakpoint stops after the instruction that writes the word, with the value now', () => {
    const m = machine(COUNTER_PROGRAM);
    const recorder = new Recorder();
    const { control: run, breakpoints } = control(m, recorder);
    const [record] = breakpoints.setData([{ address: 0x7ffc, size: 4, access: 'write' }]);
    run.resume({ kind: 'continue' });
    const stop = recorder.stops.at(-1)!;
    assert.strictEqual(stop.reason, 'data breakpoint');
    assert.deepStrictEqual(stop.hitBreakpointIds, [record.id]);
    const call = symbol(m.assembled, 'loop') + m.current.target.peek(0, symbol(m.assembled, 'loop'))!.length;
    assert.match(stop.description, new RegExp(`^write to 0x00007ffc by the instruction at 0x${call.toString(16).padStart(8, '0')}; value now`));
    assert.strictEqual(m.current.target.pc(0), symbol(m.assembled, 'bump'));
  });
});
