// Replay over a small real machine: going back to an earlier run position
// restores the registers the guest had there, whether from a snapshot or from
// the start; step back stops one instruction earlier; an edit the user made is
// made again at its position.

import * as assert from 'assert';
import { Breakpoints } from '../../../src/debug/breakpoints';
import { History } from '../../../src/debug/history';
import { Replay } from '../../../src/debug/replay';
import type { RuntimeBookkeeping } from '../../../src/debug/runtime';
import { Timeline } from '../../../src/debug/timeline';
import { createSystem } from '../../../src/hypervisor/system';
import { breakpointsAndFilters, COUNTER_PROGRAM, machine, Machine, Recorder, runTicks, symbol } from './harness';

function replayOver(m: Machine, recorder: Recorder, historySize = 20): { replay: Replay; history: History<RuntimeBookkeeping>; timeline: Timeline; breakpoints: Breakpoints } {
  const { breakpoints, cpuBreakpoints, filters } = breakpointsAndFilters(m, recorder);
  const history = new History<RuntimeBookkeeping>(historySize, 10);
  const timeline = new Timeline(m.current);
  const bookkeeping = (): RuntimeBookkeeping => ({ eventCount: m.current.eventCount, handlerStacks: [], shadowDrops: 0 });
  history.reset({ position: 0, state: undefined, runtime: bookkeeping(), nInterventions: 0, bytes: 0 });
  const replay = new Replay({
    run: m.current,
    mode: m.replayMode,
    history,
    state: m.runState,
    filters,
    cpuBreakpoints,
    timeline,
    bookkeeping,
    hvFrame: { frame: undefined, leave: () => undefined, forget: () => undefined, backOneLine: () => false },
    simulatorEvents: { dropHeldDelivery: () => undefined },
    loadBookkeeping: (saved) => m.current.loadEventCount(saved.eventCount),
    reinstall: () => m.current.replace(createSystem(m.options)),
    runSystem: () => m.current.system.run(),
    stop: recorder.stop,
  });
  return { replay, history, timeline, breakpoints };
}

/** Runs forward to `end`, one tick at a time, taking snapshots when due; the registers at each position (and into `pcs`, the pc). */
function runForward(m: Machine, replay: Replay, end: number, pcs = new Map<number, number>()): Map<number, number[]> {
  const seen = new Map<number, number[]>();
  while (m.current.position() < end) {
    seen.set(m.current.position(), [...m.current.target.regs(0)]);
    pcs.set(m.current.position(), m.current.target.pc(0));
    runTicks(m.current, 1);
    replay.maybeSnapshot();
  }
  seen.set(m.current.position(), [...m.current.target.regs(0)]);
  return seen;
}

describe('debug parts: Replay', () => {
  it('going back restores the registers the guest had there, from a snapshot', () => {
    const m = machine(COUNTER_PROGRAM);
    const recorder = new Recorder();
    const { replay, history } = replayOver(m, recorder);
    const seen = runForward(m, replay, 60);
    assert.ok(history.count > 1, 'snapshots were taken');
    for (const position of [55, 31, 12, 3]) {
      replay.goTo(position);
      assert.strictEqual(m.current.position(), position);
      assert.deepStrictEqual([...m.current.target.regs(0)], seen.get(position), `registers at ${position}`);
    }
  });

  it('going back with no snapshot replays from a fresh system', () => {
    const m = machine(COUNTER_PROGRAM);
    const recorder = new Recorder();
    const { replay } = replayOver(m, recorder, 0);
    const seen = runForward(m, replay, 40);
    const first = m.current.system;
    replay.goTo(17);
    assert.notStrictEqual(m.current.system, first, 'a new system');
    assert.deepStrictEqual([...m.current.target.regs(0)], seen.get(17));
  });

  it('step back stops at the previous position, and says so', () => {
    const m = machine(COUNTER_PROGRAM);
    const recorder = new Recorder();
    const { replay } = replayOver(m, recorder);
    const seen = runForward(m, replay, 25);
    replay.stepBack(0);
    assert.strictEqual(recorder.stops.at(-1)?.description, 'stepped back to run position 24');
    assert.deepStrictEqual([...m.current.target.regs(0)], seen.get(24));
    assert.strictEqual(m.replayMode.isReplaying, false);
  });

  it('an edit is made again at its position when a replay passes it, and the timeline forgets the future', () => {
    const m = machine(COUNTER_PROGRAM);
    const recorder = new Recorder();
    const { replay, history, timeline } = replayOver(m, recorder);
    runForward(m, replay, 20);
    const apply = (): void => {
      m.current.target.regs(0)[5] = 1234;
    };
    apply();
    history.record({ position: m.current.position(), description: 'r5 = 1234', apply, isTrapHeld: false });
    timeline.record('cr3-load', 0, 0, '', 'at 20', 0);
    runForward(m, replay, 30);
    timeline.record('cr3-load', 0, 0, '', 'at 30', 0);
    replay.goTo(25);
    assert.strictEqual(m.current.target.regs(0)[5], 1234);
    assert.deepStrictEqual(
      timeline.entries().map((e) => e.description),
      ['at 20'],
      'the entry of the future left is dropped',
    );
    replay.goTo(10);
    assert.strictEqual(m.current.target.regs(0)[5], 0, 'before the edit');
    assert.deepStrictEqual(timeline.entries(), []);
  });

  it('reverse continue stops at the latest breakpoint hit before the current position, else at the start', () => {
    const m = machine(COUNTER_PROGRAM);
    const recorder = new Recorder();
    const { replay, breakpoints } = replayOver(m, recorder);
    const bump = symbol(m.assembled, 'bump');
    const pcs = new Map<number, number>();
    const seen = runForward(m, replay, 70, pcs);
    const hits = [...pcs].filter(([, pc]) => pc === bump).map(([position]) => position);
    assert.ok(hits.length >= 2);
    breakpoints.setInstructions([{ address: bump }]);
    replay.reverseContinue(0);
    const stop = recorder.stops.at(-1)!;
    assert.strictEqual(stop.reason, 'instruction breakpoint');
    assert.match(stop.description, /^reverse continue: breakpoint at /);
    assert.strictEqual(m.current.target.pc(0), bump);
    const position = m.current.position();
    assert.strictEqual(position, hits.at(-1), 'the latest hit');
    assert.deepStrictEqual([...m.current.target.regs(0)], seen.get(position), 'the state of that hit');
    replay.reverseContinue(0);
    assert.strictEqual(m.current.position(), hits.at(-2), 'the hit before');
    breakpoints.setInstructions([]);
    replay.reverseContinue(0);
    assert.strictEqual(recorder.stops.at(-1)?.description, 'reverse continue reached the start of the run');
    assert.strictEqual(m.current.position(), 0);
  });
});
