// The timeline keeps entries stamped with their run position, forgets the
// future a replay left, and stays bounded.

import * as assert from 'assert';
import { Timeline } from '../../../src/debug/timeline';
import { COUNTER_PROGRAM, machine } from './harness';

describe('debug parts: Timeline', () => {
  it('stamps entries with the run position and forgets those after a position', () => {
    const m = machine(COUNTER_PROGRAM);
    let position = 10;
    const timeline = new Timeline({ target: m.current.target, position: () => position });
    timeline.record('cr3-load', 0, 0x10, 'mov cr3, r1', 'first', 1);
    position = 20;
    timeline.record('tlb-flush', 0, 0x14, 'invlpg r2', 'second', 2);
    assert.deepStrictEqual(
      timeline.entries().map((e) => [e.position, e.description, e.gpa]),
      [
        [10, 'first', 0x10],
        [20, 'second', 0x14],
      ],
    );
    timeline.dropAfter(15);
    assert.deepStrictEqual(
      timeline.entries().map((e) => e.description),
      ['first'],
    );
  });

  it('keeps the latest 5000 entries, in order', () => {
    const m = machine(COUNTER_PROGRAM);
    const timeline = new Timeline(m.current);
    for (let i = 0; i < 7000; i++) timeline.record('sensitive', 0, 0, 'popf', `entry ${i}`, i);
    const entries = timeline.entries();
    assert.strictEqual(entries.length, 5000);
    assert.strictEqual(entries[0].description, 'entry 2000');
    assert.strictEqual(entries.at(-1)!.description, 'entry 6999');
  });
});
