// FrameModel: the guest's frame, the handlers it entered and has not left
// (pushed from deliveries, none during a quiet replay), the hypervisor frame
// on top while step into shows it, and a pc's label.

import * as assert from 'assert';
import { FrameModel } from '../../../src/debug/frames';
import { HypervisorFrame } from '../../../src/debug/hypervisorFrame';
import { Vector } from '../../../src/machine/isa';
import { COUNTER_PROGRAM, machine, Machine, symbol } from './harness';

function framesOf(m: Machine): FrameModel {
  const labels = [m.assembled.symbols.filter((s) => s.kind !== 'equ').sort((a, b) => a.value - b.value)];
  const model = new FrameModel(m.current, m.replayMode, [m.assembled.lineMap], labels);
  model.reset(1);
  return model;
}

describe('debug parts: FrameModel', () => {
  it('names the guest frame by its label and mode, and shows a handler it entered', () => {
    const m = machine(COUNTER_PROGRAM);
    const model = framesOf(m);
    const bump = symbol(m.assembled, 'bump');
    assert.deepStrictEqual(model.labelAt(0, bump + 2), { name: 'bump', offset: 2 });
    assert.match(model.frames(0, undefined)[0].name, /^_start \[kernel\]$/);
    model.pushHandler(0, Vector.GP, bump, false);
    const frames = model.frames(0, undefined);
    assert.strictEqual(frames.length, 2);
    assert.strictEqual(frames[1].kind, 'handler');
    assert.match(frames[1].name, /^bump — interrupted by /);
  });

  it('pushes no handler during a quiet replay', () => {
    const m = machine(COUNTER_PROGRAM);
    const model = framesOf(m);
    m.replayMode.setReplaying(true);
    model.pushHandler(0, Vector.GP, 0, false);
    assert.deepStrictEqual(model.save(), [[]]);
  });

  it('puts the hypervisor frame on top, at the trapping pc', () => {
    const m = machine(COUNTER_PROGRAM);
    const model = framesOf(m);
    const hvFrame: HypervisorFrame = { guest: 0, trace: ['entry', 'decode'], index: 1, trapPc: symbol(m.assembled, 'loop'), description: 'protection fault', position: 3 };
    const frames = model.frames(0, hvFrame);
    assert.deepStrictEqual(
      frames.map((f) => f.kind),
      ['hypervisor', 'guest'],
    );
    assert.strictEqual(frames[0].hypervisorLine, 'decode');
    assert.match(frames[1].name, /^loop/);
  });
});
