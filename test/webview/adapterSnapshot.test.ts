// The panels loaded with the snapshot the real debug adapter returns for the
// example OS stopped at a hidden page fault (not a hand-made fixture): the
// faulting page is highlighted in all three tables and they agree, and every
// panel renders it without errors or CSP violations.

import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { PanelKind, PanelSnapshot } from '../../src/protocol/panelMessages';
import { PanelHarness, ROOT } from './harness';

const hex = (n: number) => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
const pageOf = (n: number) => (n & 0xfffff000) >>> 0;

/**
 * Runs examples/os in the real adapter under `virtualization` until the first stop that
 * `configure` arranges, checks the stop's reason, and returns the adapter's snapshot.
 */
async function snapshotOfOs(virtualization: string, reason: string, configure: (client: DebugClient) => Promise<unknown>, launch: Record<string, unknown> = {}): Promise<PanelSnapshot> {
  const client = new DebugClient('node', path.join(ROOT, 'out/src/debug/main.js'), 'hyperstep');
  client.defaultTimeout = 20000;
  await client.start();
  try {
    const stopped = client.waitForEvent('stopped');
    await Promise.all([
      client.waitForEvent('initialized').then(async () => {
        await configure(client);
        return client.configurationDoneRequest();
      }),
      client.launch({ program: path.join(ROOT, 'examples/os/kernel.g32'), virtualization, input: [{ tick: 2000, text: 'k' }], stopOnEntry: false, ...launch }),
    ]);
    assert.equal((await stopped).body.reason, reason);
    return (await client.customRequest('hyperstep/snapshot', {})).body as PanelSnapshot;
  } finally {
    await client.stop();
  }
}

/** Under trap-and-emulate (on-demand, separate shadows), stopped by the hidden-page-fault filter on user1's first page. */
const adapterSnapshot = () =>
  snapshotOfOs('trap-and-emulate', 'exception', (client) =>
    client.setExceptionBreakpointsRequest({ filters: [], filterOptions: [{ filterId: 'hidden-page-fault', condition: 'address >= 0x00400000 && address < 0x00401000' }] }),
  );

/** Under binary translation on first sight, stopped at user1's first system call (the kernel's boot code ran translated: tiered, it would have run cold). */
const translatedSnapshot = () =>
  snapshotOfOs('binary-translation', 'breakpoint', (client) => client.setBreakpointsRequest({ source: { path: path.join(ROOT, 'examples/os/user1.g32') }, breakpoints: [{ line: 26 }] }), {
    translationThreshold: 1,
  });

describe("panels with the adapter's own snapshot (Chromium)", function () {
  this.timeout(90000);
  const harness = new PanelHarness();
  let snapshot: PanelSnapshot;

  before(async function () {
    PanelHarness.requireChromium(this);
    snapshot = await adapterSnapshot();
    await harness.start();
  });
  after(() => harness.stop());

  it("the snapshot is of a hidden page fault in user1's page, consistent across the three tables", () => {
    assert.match(snapshot.stopDescription, /hidden page fault/);
    const va = snapshot.pageTables.highlightVa!;
    assert.equal(pageOf(va), 0x00400000);
    const guest = snapshot.pageTables.guest.find((m) => m.va === pageOf(va))!;
    const frame = snapshot.pageTables.hypervisorMap.find((m) => m.gpa === pageOf(guest.pa))!;
    assert.ok(guest && frame, 'the guest maps the page and the hypervisor maps its frame');
    assert.notEqual(frame.ma, frame.gpa, 'the hypervisor map is not the identity');
  });

  it('the page-table panel highlights the faulting page in all three tables, and they agree', async () => {
    const panel = await harness.open('pageTables');
    await panel.sendSnapshot(snapshot);
    const rows = await panel.page.$$eval('.vtable', (tables) =>
      tables.flatMap((table) =>
        Array.from(table.querySelectorAll('.vrow.is-fault')).map((row) => ({
          table: table.getAttribute('aria-label') ?? '',
          cells: Array.from(row.querySelectorAll('[data-col]')).map((cell) => cell.textContent ?? ''),
        })),
      ),
    );
    // The stop comes before the fill: the shadow has no entry for the page yet, so it shows in the guest table and the map.
    const guestRow = rows.find((r) => /^Guest page table/.test(r.table));
    const mapRow = rows.find((r) => /^Hypervisor map/.test(r.table));
    assert.ok(guestRow && mapRow, JSON.stringify(rows));
    assert.equal(guestRow.cells[0], hex(0x00400000));
    assert.equal(mapRow.cells[0], guestRow.cells[1], 'the hypervisor map row is the guest frame');
    const shadowRow = rows.find((r) => /^Shadow page table/.test(r.table));
    if (shadowRow) assert.equal(shadowRow.cells[1], mapRow.cells[1], 'the shadow maps to the machine frame the hypervisor map gives');
    assert.deepEqual(panel.errors, []);
    assert.deepEqual(await panel.violations(), []);
    await panel.screenshot('adapter-page-tables-dark');
    await panel.close();
  });

  it('the translation-cache panel shows the blocks binary translation made of the kernel', async () => {
    const translated = await translatedSnapshot();
    assert.ok(translated.translationCache && translated.translationCache.blocks.length > 10);
    const panel = await harness.open('translationCache', 'dark', { width: 1200, height: 700 });
    await panel.sendSnapshot(translated);
    const text = await panel.page.textContent('body');
    assert.match(text!, /let f = cpu\.flags;|mov evt|0x0000/);
    assert.deepEqual(panel.errors, []);
    assert.deepEqual(await panel.violations(), []);
    await panel.screenshot('adapter-translation-cache-dark');
    await panel.close();
  });

  for (const kind of ['tlb', 'timeline', 'costs'] as PanelKind[]) {
    it(`the ${kind} panel renders the adapter's snapshot`, async () => {
      const panel = await harness.open(kind);
      await panel.sendSnapshot(snapshot);
      const text = await panel.page.textContent('body');
      assert.match(text!, /trap-and-emulate/);
      assert.deepEqual(panel.errors, []);
      assert.deepEqual(await panel.violations(), []);
      await panel.screenshot(`adapter-${kind}-dark`);
      await panel.close();
    });
  }
});
