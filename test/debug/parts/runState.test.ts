// RunState: what the observers ask of run control, and what run control takes
// from it. A held trap is reported once; the first stop of a run wins; a step
// watch ends in a handler only for its own guest and never in a replay.

import * as assert from 'assert';
import { COUNTER_PROGRAM, machine, runTicks, trapEvent } from './harness';

describe('debug parts: RunState', () => {
  it('a held trap is reported once, then released, and step into still knows it', () => {
    const { runState } = machine(COUNTER_PROGRAM);
    const event = trapEvent();
    runState.holdTrap(event, 'privileged-emulated');
    assert.strictEqual(runState.hasHeldTrap, true);
    assert.deepStrictEqual(runState.takeHeldTrap(), { event, filterId: 'privileged-emulated' });
    assert.strictEqual(runState.hasHeldTrap, false);
    assert.strictEqual(runState.takeHeldTrap(), undefined, 'reported a second time');
    assert.strictEqual(runState.lastTrapEvent, event, 'step into at the held trap handles this one');
  });

  it('the first stop an event asks for wins, and the CPU is asked to stop at the next boundary', () => {
    const { runState, current } = machine(COUNTER_PROGRAM);
    const first = { reason: 'exception' as const, guest: 0, description: 'cr3 load', exceptionId: 'cr3-load' };
    runState.requestStop(first);
    runState.requestStop({ reason: 'exception', guest: 0, description: 'tlb flush', exceptionId: 'tlb-flush' });
    assert.strictEqual(current.target.cpu.stopRequest, 'requested');
    assert.strictEqual(runState.takePendingStop(), first);
    assert.strictEqual(runState.takePendingStop(), undefined);
  });

  it('a step watch ends in the handler only for the watched guest, and not in a replay', () => {
    const { runState, replayMode, current } = machine(COUNTER_PROGRAM);
    runState.beginStepWatch(0);
    runState.deliveredTo(1);
    assert.strictEqual(runState.stepWatch?.isDelivered, false, 'another guest');
    replayMode.setReplaying(true);
    runState.deliveredTo(0);
    assert.strictEqual(runState.stepWatch?.isDelivered, false, 'a replay');
    replayMode.setReplaying(false);
    assert.strictEqual(current.target.cpu.stopRequest, undefined);
    runState.deliveredTo(0);
    assert.strictEqual(runState.stepWatch?.isDelivered, true);
    assert.strictEqual(current.target.cpu.stopRequest, 'requested');
  });

  it('the hypervisor frame takes the step watch away and gives it back unchanged', () => {
    const { runState } = machine(COUNTER_PROGRAM);
    runState.beginStepWatch(0);
    const saved = runState.suspendStepWatch();
    runState.deliveredTo(0);
    assert.strictEqual(runState.stepWatch, undefined);
    runState.resumeStepWatch(saved);
    assert.deepStrictEqual(runState.stepWatch, { guest: 0, isDelivered: false });
  });

  it('the end of a run forgets its requests but keeps the fatal end for the next continue', () => {
    const { runState } = machine(COUNTER_PROGRAM);
    runState.beginStepWatch(0);
    runState.beginStepIn(0);
    runState.setTempBreak({ guest: 0, address: 0x1010, sp: 0x8000 });
    runState.requestStop({ reason: 'pause', guest: 0, description: 'x' });
    runState.holdTrap(trapEvent());
    runState.endWith({ reason: 'triple-fault', detail: 'triple fault', exitCode: 2 });
    runState.endRun();
    assert.strictEqual(runState.stepWatch, undefined);
    assert.strictEqual(runState.stepInGuest, undefined);
    assert.strictEqual(runState.tempBreak, undefined);
    assert.strictEqual(runState.hasPendingStop, false);
    assert.strictEqual(runState.hasHeldTrap, false);
    assert.strictEqual(runState.fatal?.exitCode, 2);
    runState.clearFatal();
    assert.strictEqual(runState.fatal, undefined);
  });

  it('a trap match recorded in a search carries the run position it happened at', () => {
    const { runState, current } = machine(COUNTER_PROGRAM);
    runTicks(current, 5);
    const position = current.position();
    assert.ok(position > 0);
    const stop = { reason: 'exception' as const, guest: 0, description: 'trap', exceptionId: 'syscall' };
    runState.recordTrapMatch(stop);
    assert.deepStrictEqual(runState.takeTrapMatches(), [{ position, stop }]);
    assert.deepStrictEqual(runState.takeTrapMatches(), []);
  });
});
