// The step-back history stays within its byte budget whatever the launch
// attributes ask (snapshotInterval 1000, historySize 100000, big guests),
// while still covering the whole run.

import * as assert from 'assert';
import { History, HISTORY_BYTE_BUDGET } from '../../src/debug/history';
import { parseLaunchConfig } from '../../src/debug/launchConfig';
import { DebugRuntime } from '../../src/debug/runtime';
import { nodeFileReader } from '../../src/debug/nodeFileReader';
import { fixture } from './helpers';

const MiB = 1024 * 1024;

describe('history', () => {
  it('keeps snapshots within the byte budget, thinning them over the whole run', () => {
    const history = new History<null>(100_000, 1000, 10 * MiB);
    history.reset({ position: 0, state: undefined, runtime: null, nInterventions: 0, bytes: 0 });
    let largest = 0;
    for (let position = 1000; position <= 1_000_000; position += 1000) {
      if (!history.isDue(position)) continue;
      history.add({ position, state: {}, runtime: null, nInterventions: 0, bytes: MiB });
      largest = Math.max(largest, history.bytes());
    }
    assert.ok(largest <= 10 * MiB, `held ${largest} bytes`);
    assert.ok(history.count >= 5, `${history.count} snapshots`);
    assert.ok(history.nearest(999_000).position >= 500_000, 'the latest snapshot is near the end of the run');
    assert.ok(history.interval > 1000, 'snapshots are taken further apart');
  });

  it('keeps no snapshot larger than the whole budget, and takes no more (step back replays from the start)', () => {
    const history = new History<null>(100, 1000, 10 * MiB);
    history.reset({ position: 0, state: undefined, runtime: null, nInterventions: 0, bytes: 0 });
    history.add({ position: 1000, state: {}, runtime: null, nInterventions: 0, bytes: 11 * MiB });
    assert.strictEqual(history.bytes(), 0);
    assert.strictEqual(history.isDue(100_000), false);
    assert.strictEqual(history.nearest(5000).position, 0);
  });

  it('stays within the budget for a 32 MiB guest with snapshotInterval 1000 and historySize 100000', function () {
    this.timeout(60000);
    const config = parseLaunchConfig({ program: fixture('forever.g32'), memory: 32 * MiB, snapshotInterval: 1000, historySize: 100_000, maxInstructions: 1_500_000 });
    const result = new DebugRuntime({ ...config, isStopOnEntry: true }, nodeFileReader).runSynchronously();
    assert.match(result.reason, /instruction limit|1500000/i);
    assert.ok(result.historyBytes <= HISTORY_BYTE_BUDGET, `${(result.historyBytes / MiB).toFixed(0)} MiB held`);
    assert.ok(result.historyBytes >= 32 * MiB && result.snapshots >= 2, `${result.snapshots} snapshots: the run is still covered`);
  });
});
