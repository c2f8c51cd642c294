// The panels at a stop after a PTE changed without invlpg (test/debug/fixtures/
// stale.g32 under trap-and-emulate, from the real adapter): the TLB and shadow
// entries that still point at the old frame are marked stale, with why.

import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { PanelSnapshot } from '../../src/protocol/panelMessages';
import { ROOT, usePanelHarness } from './harness';

const STALE_FIXTURE = path.join(ROOT, 'test/debug/fixtures/stale.g32');
/** stale.g32: `ld r3, [VA]` right after the PTE of VA changed. */
const LINE_STALE_LOAD = 31;
const VA = 0x5000;

async function staleSnapshot(): Promise<PanelSnapshot> {
  const client = new DebugClient('node', path.join(ROOT, 'out/src/debug/main.js'), 'hyperstep');
  client.defaultTimeout = 20000;
  await client.start();
  try {
    const stopped = client.waitForEvent('stopped');
    await Promise.all([
      client.waitForEvent('initialized').then(async () => {
        await client.setBreakpointsRequest({ source: { path: STALE_FIXTURE }, breakpoints: [{ line: LINE_STALE_LOAD }] });
        return client.configurationDoneRequest();
      }),
      client.launch({ program: STALE_FIXTURE, virtualization: 'trap-and-emulate', stopOnEntry: false }),
    ]);
    assert.equal((await stopped).body.reason, 'breakpoint');
    return (await client.customRequest('hyperstep/snapshot', {})).body as PanelSnapshot;
  } finally {
    await client.stop();
  }
}

describe('stale TLB and shadow entries in the panels (Chromium)', function () {
  this.timeout(60000);
  const harness = usePanelHarness();
  let snapshot: PanelSnapshot;
  before(async () => {
    snapshot = await staleSnapshot();
  });

  it('the snapshot marks exactly the entries for the remapped page stale, and says why', () => {
    const active = snapshot.pageTables.shadows.find((s) => s.isActive)!;
    assert.deepEqual(
      active.entries.filter((e) => e.staleReason).map((e) => e.va),
      [VA],
    );
    assert.deepEqual(
      snapshot.tlb.entries.filter((e) => e.staleReason).map((e) => e.va),
      [VA],
    );
    const reason = active.entries.find((e) => e.va === VA)!.staleReason!;
    assert.match(reason, /^stale: the guest page table and the hypervisor map give machine frame 0x[0-9a-f]{8} \(a PTE changed without invlpg/);
  });

  it('the page-table panel marks the stale shadow row, with the reason as its tooltip', async () => {
    const panel = await harness.open('pageTables');
    await panel.sendSnapshot(snapshot);
    const rows = await panel.page.$$eval('.vtable[aria-label^="Shadow"] .vrow.is-stale', (elements) =>
      elements.map((row) => ({
        cells: Array.from(row.querySelectorAll('[data-col]')).map((cell) => cell.textContent ?? ''),
        title: (row as HTMLElement).title,
      })),
    );
    assert.equal(rows.length, 1, JSON.stringify(rows));
    assert.equal(rows[0].cells[0], '0x00005000');
    assert.equal(rows[0].cells[3], 'stale');
    assert.match(rows[0].title, /without invlpg/);
    assert.deepEqual(panel.errors, []);
    await panel.screenshot('page-tables-stale-dark');
    await panel.close();
  });

  it('the TLB panel marks the stale entry', async () => {
    const panel = await harness.open('tlb');
    await panel.sendSnapshot(snapshot);
    const stale = await panel.page.$$eval('.vrow.is-stale [data-col="va"]', (cells) => cells.map((c) => c.textContent));
    assert.deepEqual(stale, ['0x00005000']);
    assert.deepEqual(panel.errors, []);
    await panel.close();
  });
});
