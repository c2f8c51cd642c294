import * as assert from 'node:assert';
import { DebouncedRun, RunToken } from '../../src/lsp/debouncedRun';
import { FakeClock } from './fakeClock';

describe('debounced run', () => {
  it('runs once after many quick schedules, after the quiet period', () => {
    const clock = new FakeClock();
    let runs = 0;
    const run = new DebouncedRun(() => void runs++, 150, clock);
    for (let edit = 0; edit < 1000; edit++) run.schedule();
    assert.strictEqual(runs, 0, 'nothing runs while edits keep coming');
    assert.strictEqual(clock.pending.size, 1, 'one timer, not one per edit');
    assert.strictEqual([...clock.pending.values()][0].milliseconds, 150);
    clock.fire();
    assert.strictEqual(runs, 1);
    assert.strictEqual(run.runCount, 1);
    clock.fire();
    assert.strictEqual(runs, 1, 'no second run without a new schedule');
  });

  it('marks a run in progress superseded by a newer schedule, and not before', async () => {
    const clock = new FakeClock();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const seen: boolean[] = [];
    let token: RunToken | undefined;
    const run = new DebouncedRun(
      async (given) => {
        token = given;
        seen.push(given.isSuperseded);
        await gate;
        seen.push(given.isSuperseded);
      },
      10,
      clock,
    );
    run.schedule();
    clock.fire();
    assert.strictEqual(token!.isSuperseded, false);
    run.schedule();
    release();
    await gate;
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepStrictEqual(seen, [false, true]);
  });

  it('cancel drops the pending run and supersedes the running one', () => {
    const clock = new FakeClock();
    let token: RunToken | undefined;
    let runs = 0;
    const run = new DebouncedRun(
      (given) => {
        runs++;
        token = given;
      },
      10,
      clock,
    );
    run.schedule();
    clock.fire();
    run.schedule();
    run.cancel();
    clock.fire();
    assert.strictEqual(runs, 1);
    assert.strictEqual(token!.isSuperseded, true);
  });
});
