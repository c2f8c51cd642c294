// DivergenceFilter on examples/popf.g32 under trap-and-emulate: the search
// finds the `popf` that leaves IF clear, a run's tick budget is capped so it
// ends right after that instruction, and `check` then returns the stop.

import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { DivergenceFilter } from '../../../src/debug/divergenceFilter';
import { FilterMatching } from '../../../src/debug/filterMatching';
import { Timeline } from '../../../src/debug/timeline';
import { machine, Machine, Recorder } from './harness';

const POPF = fs.readFileSync(path.resolve(__dirname, '../../../../examples/popf.g32'), 'utf8');

function divergenceOver(m: Machine, recorder: Recorder, condition?: string): { divergence: DivergenceFilter; timeline: Timeline } {
  const filters = new FilterMatching({ run: m.current, replay: m.replayMode, stops: m.runState, instructionText: () => '', divergenceUnavailable: undefined });
  filters.set([{ filterId: 'divergence', condition }]);
  const timeline = new Timeline(m.current);
  const divergence = new DivergenceFilter({
    run: m.current,
    systemOptions: m.options,
    maxInstructions: undefined,
    typedInputs: () => [],
    filters,
    replay: m.replayMode,
    timeline,
    emit: recorder.emit,
  });
  return { divergence, timeline };
}

/** Runs as run control does, with the divergence cap, until `check` returns a stop or the guest ends. */
function runToDivergence(m: Machine, divergence: DivergenceFilter): ReturnType<DivergenceFilter['check']> {
  const cpu = m.current.target.cpu;
  for (let guard = 0; guard < 1000; guard++) {
    cpu.runUntilTick = divergence.cap(cpu.ticks + 50_000);
    cpu.requestService();
    const retiredBefore = m.current.target.retired(0);
    const result = m.current.system.run();
    const stop = divergence.check(retiredBefore);
    if (stop) return stop;
    if (result.reason !== 'budget' && result.reason !== 'requested') return undefined;
  }
  return undefined;
}

describe('debug parts: DivergenceFilter', () => {
  it('is unavailable on bare hardware and with several guests, with why', () => {
    assert.match(DivergenceFilter.unavailableReason({ virtualization: 'none', guests: [{ name: 'a' }] as never })!, /bare hardware/);
    assert.match(DivergenceFilter.unavailableReason({ virtualization: 'trap-and-emulate', guests: [{ name: 'a' }, { name: 'b' }] as never })!, /one guest/);
    assert.strictEqual(DivergenceFilter.unavailableReason({ virtualization: 'trap-and-emulate', guests: [{ name: 'a' }] as never }), undefined);
  });

  it('finds the popf that diverges, stops right after it, and puts it on the timeline', () => {
    const m = machine(POPF, 'trap-and-emulate');
    const recorder = new Recorder();
    const { divergence, timeline } = divergenceOver(m, recorder);
    const search = divergence.ensure()!;
    assert.ok(search.divergence, search.description);
    assert.match(search.description, /`popf`/);
    assert.match(recorder.text('console'), /divergence search: divergence from bare hardware after \d+ instructions/);
    assert.strictEqual(divergence.ensure(), search, 'cached');
    const stop = runToDivergence(m, divergence);
    assert.deepStrictEqual(stop, { reason: 'exception', guest: 0, description: search.description, exceptionId: 'divergence' });
    assert.strictEqual(m.current.target.retired(0), search.divergence.retired + 1, 'right after the diverging instruction');
    assert.deepStrictEqual(
      timeline.entries().map((e) => e.kind),
      ['divergence'],
    );
  });

  it('a condition that does not hold, or a replay, reports nothing', () => {
    const m = machine(POPF, 'trap-and-emulate');
    const { divergence } = divergenceOver(m, new Recorder(), 'pc == 0x1');
    divergence.ensure();
    assert.strictEqual(runToDivergence(m, divergence), undefined);

    const again = machine(POPF, 'trap-and-emulate');
    const other = divergenceOver(again, new Recorder()).divergence;
    other.ensure();
    again.replayMode.setReplaying(true);
    assert.strictEqual(runToDivergence(again, other), undefined);
  });
});
