// SimulatorEvents turns the simulator's events into run positions, handler
// frames, timeline entries and stop requests. Fed events by hand over a bare
// machine: an exception a trap filter holds is not delivered yet and asks for
// a stop; one that is delivered opens a handler frame and ends a step watch.

import * as assert from 'assert';
import { FrameModel } from '../../../src/debug/frames';
import { SimulatorEvents } from '../../../src/debug/simulatorEvents';
import { Timeline } from '../../../src/debug/timeline';
import { Vector } from '../../../src/machine/isa';
import { breakpointsAndFilters, COUNTER_PROGRAM, machine, Machine, Recorder, runTicks } from './harness';

function eventsOver(m: Machine, recorder: Recorder) {
  const { breakpoints, cpuBreakpoints, filters } = breakpointsAndFilters(m, recorder, { instructionText: 'add r1, 1' });
  const timeline = new Timeline(m.current);
  const frameModel = new FrameModel(m.current, m.replayMode, [m.assembled.lineMap], [[]]);
  frameModel.reset(1);
  const events = new SimulatorEvents({
    run: m.current,
    replay: m.replayMode,
    stops: m.runState,
    filters,
    timeline,
    frameModel,
    cpuBreakpoints,
    breakpoints,
    instructionText: () => 'add r1, 1',
    guests: [{ name: 'guest' }],
    emit: recorder.emit,
  });
  return { events, filters, timeline, frameModel };
}

const GP = { kind: 'exception' as const, vector: Vector.GP, errorCode: 0, faultAddress: 0, pc: 0x20, fromUser: true, ticks: 9 };

describe('debug parts: SimulatorEvents', () => {
  it('a delivered exception counts a run position, opens a handler frame and ends a step watch in the handler', () => {
    const m = machine(COUNTER_PROGRAM);
    const { events, timeline, frameModel } = eventsOver(m, new Recorder());
    runTicks(m.current, 3);
    const before = m.current.position();
    m.runState.beginStepWatch(0);
    events.onMachineEvent(GP);
    assert.strictEqual(m.current.position(), before + 1);
    assert.strictEqual(m.runState.stepWatch?.isDelivered, true);
    assert.deepStrictEqual(
      frameModel.save()[0].map((h) => [h.vector, h.savedPc, h.fromUser]),
      [[Vector.GP, 0x20, true]],
    );
    assert.deepStrictEqual(
      timeline.entries().map((e) => e.kind),
      ['protection-fault'],
    );
  });

  it('an exception a trap filter holds asks for a stop before delivery, and no handler frame opens yet', () => {
    const m = machine(COUNTER_PROGRAM);
    const { events, filters, frameModel } = eventsOver(m, new Recorder());
    filters.set([{ filterId: 'protection-fault' }]);
    events.onMachineEvent(GP);
    assert.strictEqual(m.current.target.machine!.isHoldRequested, true);
    const stop = m.runState.takePendingStop();
    assert.strictEqual(stop?.exceptionId, 'protection-fault');
    assert.match(stop?.description ?? '', /will be delivered to the guest's #GP handler/);
    assert.deepStrictEqual(frameModel.save()[0], [], 'not delivered yet');
  });

  it('a cr3 load goes on the timeline and stops when its filter is on', () => {
    const m = machine(COUNTER_PROGRAM);
    const { events, filters, timeline } = eventsOver(m, new Recorder());
    events.onMachineEvent({ kind: 'cr3-load', value: 0x3000, ticks: 4 });
    assert.strictEqual(m.runState.hasPendingStop, false);
    filters.set([{ filterId: 'cr3-load' }]);
    events.onMachineEvent({ kind: 'cr3-load', value: 0x3000, ticks: 5 });
    assert.strictEqual(m.runState.takePendingStop()?.exceptionId, 'cr3-load');
    assert.deepStrictEqual(
      timeline.entries().map((e) => e.description),
      ['cr3 load of 0x00003000: the TLB is flushed', 'cr3 load of 0x00003000: the TLB is flushed'],
    );
  });

  it('a guest reading an empty keyboard is told once how to type; not after typing, not in a replay', () => {
    const m = machine(COUNTER_PROGRAM);
    const recorder = new Recorder();
    const { events } = eventsOver(m, recorder);
    const read = { kind: 'device' as const, device: 'keyboard' as const, isWrite: false, port: 0x60, value: 0, ticks: 1 };
    m.replayMode.setReplaying(true);
    events.onMachineEvent(read);
    assert.strictEqual(recorder.text('console'), '');
    m.replayMode.setReplaying(false);
    events.onMachineEvent(read);
    events.onMachineEvent(read);
    assert.strictEqual(recorder.text('console').match(/reads the keyboard/g)?.length, 1);

    const other = machine(COUNTER_PROGRAM);
    const quiet = new Recorder();
    const typed = eventsOver(other, quiet).events;
    typed.keyboardTyped(0);
    typed.onMachineEvent(read);
    assert.strictEqual(quiet.text('console'), '');
  });
});
