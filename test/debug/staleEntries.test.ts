// A PTE changed without invlpg: the TLB (and under the hypervisor the shadow)
// keep the old frame, and the CPU loads from it. The debug console evaluates
// what the CPU loads and says it differs from the guest table; `translate` and
// the page-table walk mark the stale entries and say why.

import * as assert from 'assert';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { WalkView } from '../../src/protocol/panelMessages';
import { evaluate, fixture, launchAndStop, withAdapterClient, register, resumeAndStop } from './helpers';

/** Named lines of stale.g32. */
const STALE = { STALE_LOAD: 31, FRESH_LOAD: 34 };
const VA = '0x5000';

describe('stale TLB and shadow entries', function () {
  this.timeout(30000);
  let client: DebugClient;
  withAdapterClient((started) => {
    client = started;
  });

  for (const virtualization of ['none', 'trap-and-emulate']) {
    const isBare = virtualization === 'none';
    it(`evaluates what the CPU loads and flags the stale entries, under ${virtualization}`, async () => {
      await launchAndStop(client, { program: fixture('stale.g32'), virtualization, stopOnEntry: false }, () =>
        client.setBreakpointsRequest({ source: { path: fixture('stale.g32') }, breakpoints: [{ line: STALE.STALE_LOAD }, { line: STALE.FRESH_LOAD }] }),
      );

      const value = await evaluate(client, `[${VA}]`);
      assert.match(value, /^0x00001111 \(4369\) — /, "the old frame's word, as `ld` will load it");
      assert.match(value, /stale TLB entry/);
      assert.match(value, /holds 0x00002222/, 'and what the guest table gives');
      assert.match(value, /without invlpg/);

      const translate = await evaluate(client, `translate ${VA}`);
      assert.match(translate, /✗ TLB: TLB entry \d+: 0x00005000 -> \w+ 0x[0-9a-f]{8} \(\w*\) — stale: .*without invlpg/);
      if (!isBare) assert.match(translate, /✗ shadow: active shadow: 0x00005000 -> machine 0x[0-9a-f]{8} \(read-only\) — stale: /);
      assert.match(translate, /✓ guest page table: .* -> guest-physical 0x00007000/);
      assert.doesNotMatch(translate, /hypervisor map: hypervisor map/);

      const walk = (await client.customRequest('hyperstep/walk', { va: 0x5000 })).body as WalkView;
      assert.deepStrictEqual(
        walk.steps.map((s) => [s.table, s.isOk]),
        isBare
          ? [
              ['guest', true],
              ['hypervisor-map', true],
              ['tlb', false],
            ]
          : [
              ['guest', true],
              ['hypervisor-map', true],
              ['shadow', false],
              ['tlb', false],
            ],
      );

      // The CPU agrees with the evaluation: `ld r3, [VA]` loads the old frame's word.
      await resumeAndStop(client, () => client.nextRequest({ threadId: 1 }));
      assert.strictEqual(await register(client, 'r3'), 0x1111);

      // After invlpg the TLB (and the shadow) follow the table again: nothing is stale.
      await resumeAndStop(client, () => client.continueRequest({ threadId: 1 }));
      assert.strictEqual(await evaluate(client, `[${VA}]`), '0x00002222 (8738)');
      assert.doesNotMatch(await evaluate(client, `translate ${VA}`), / — stale: /);
    });
  }
});
