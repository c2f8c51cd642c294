// The page tables panel in headless Chromium, on a snapshot of examples/os
// stopped at a hidden page fault: what a student sees and can click.

import * as assert from 'node:assert/strict';
import type { PanelSnapshot, WalkView } from '../../src/protocol/panelMessages';
import { loadFixture, usePanelHarness, PanelPage } from './harness';

const hex = (n: number) => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
const pageOf = (n: number) => (n & 0xfffff000) >>> 0;

/** The walk the adapter would answer, computed from the snapshot itself. */
function walkOf(snapshot: PanelSnapshot, va: number): WalkView {
  const mapping = snapshot.pageTables.guest.find((m) => m.va === pageOf(va));
  const frame = mapping && snapshot.pageTables.hypervisorMap.find((m) => m.gpa === pageOf(mapping.pa));
  const shadow = snapshot.pageTables.shadows.find((s) => s.isActive)?.entries.find((e) => e.va === pageOf(va));
  return {
    va,
    steps: [
      { table: 'guest', text: mapping ? `PTE → physical ${hex(mapping.pa + (va & 0xfff))}` : 'not present', isOk: !!mapping },
      { table: 'hypervisor-map', text: frame ? `physical ${hex(frame.gpa)} → machine ${hex(frame.ma)}` : 'no frame', isOk: !!frame },
      { table: 'shadow', text: shadow ? `→ machine ${hex(shadow.ma + (va & 0xfff))}` : 'no shadow entry (a hidden page fault would fill it)', isOk: !!shadow },
    ],
  };
}

async function faultRows(panel: PanelPage): Promise<Array<{ table: string; cells: string[] }>> {
  return panel.page.$$eval('.vtable', (tables) =>
    tables.flatMap((table) =>
      Array.from(table.querySelectorAll('.vrow.is-fault')).map((row) => ({
        table: table.getAttribute('aria-label') ?? '',
        cells: Array.from(row.querySelectorAll('[data-col]')).map((cell) => cell.textContent ?? ''),
      })),
    ),
  );
}

describe('page tables panel (Chromium)', function () {
  this.timeout(60000);
  const harness = usePanelHarness();
  const snapshot = loadFixture();

  it('highlights the faulting address in all three tables, consistently', async () => {
    const panel = await harness.open('pageTables');
    await panel.sendSnapshot(snapshot);
    const rows = await faultRows(panel);
    assert.equal(rows.length, 3, `one highlighted row per table, got ${JSON.stringify(rows)}`);
    const [guest, map, shadow] = rows;
    assert.match(guest.table, /^Guest page table/);
    assert.match(map.table, /^Hypervisor map/);
    assert.match(shadow.table, /^Shadow page table/);
    const faultPage = hex(pageOf(snapshot.pageTables.highlightVa!));
    assert.equal(guest.cells[0], faultPage);
    assert.equal(shadow.cells[0], faultPage);
    // guest va -> pa, hypervisor pa -> ma, and the shadow's va -> ma must agree.
    assert.equal(map.cells[0], guest.cells[1], 'the hypervisor map row is the guest frame');
    assert.equal(shadow.cells[1], map.cells[1], 'the shadow maps to the machine frame the hypervisor map gives');
    assert.equal(guest.cells[2].replace(/\s/g, ''), 'PWUAD');
    assert.deepEqual(panel.errors, []);
    assert.deepEqual(await panel.violations(), []);
    await panel.screenshot('page-tables-dark');
    await panel.setTheme('light');
    await panel.screenshot('page-tables-light');
    await panel.close();
  });

  it('marks entries changed since the last stop, and shows the header facts', async () => {
    const panel = await harness.open('pageTables');
    await panel.sendSnapshot(snapshot);
    const changed = await panel.page.$$eval('.vrow.is-changed [data-col="va"]', (cells) => cells.map((c) => c.textContent));
    assert.deepEqual(changed, ['0x00400000'], 'the shadow entry just filled');
    const header = await panel.page.textContent('header');
    assert.match(header!, /trap-and-emulate \/ shadow-on-demand \/ separate/);
    assert.match(header!, /hidden page fault at 0x00400134/);
    const options = await panel.page.$$eval('select option', (o) => o.map((x) => x.textContent));
    assert.deepEqual(options, ['kernel · PD 0x0000b000 · active (15)', 'user · PD 0x0000b000 (2)']);
    // Another shadow can be picked; the user shadow has the stack page.
    await panel.page.selectOption('select', { index: 1 });
    await panel.page.waitForSelector('.vtable[aria-label^="Shadow"] .vrow[data-key="4198400"]');
    await panel.close();
  });

  it('shows the active shadow at each stop (the user shadow in pretend user mode) unless one was picked at this stop', async () => {
    const panel = await harness.open('pageTables');
    const shownShadow = async () => ({
      key: await panel.page.getAttribute('section[data-shadow]', 'data-shadow'),
      subtitle: await panel.page.textContent('section[data-shadow] .pane-title .dim'),
      selected: await panel.page.$eval('select', (select) => select.selectedOptions[0]?.textContent),
    });
    await panel.sendSnapshot(snapshot);
    assert.deepEqual(await shownShadow(), { key: '45056/kernel', subtitle: 'virtual → machine · kernel, active', selected: 'kernel · PD 0x0000b000 · active (15)' });
    // The next stop is in pretend user mode: the user shadow is the active one now.
    const inUser: PanelSnapshot = JSON.parse(JSON.stringify(snapshot));
    inUser.guest.ticks += 100;
    inUser.guest.isPretendUser = true;
    inUser.pageTables.shadows.forEach((shadow) => (shadow.isActive = shadow.variant === 'user'));
    await panel.sendSnapshot(inUser);
    assert.deepEqual(await shownShadow(), { key: '45056/user', subtitle: 'virtual → machine · user, active', selected: 'user · PD 0x0000b000 · active (2)' });
    // A shadow picked by hand stays for this stop, and the next stop shows the active one again.
    await panel.page.selectOption('select', { index: 0 });
    assert.equal((await shownShadow()).key, '45056/kernel');
    await panel.sendSnapshot(inUser);
    assert.equal((await shownShadow()).key, '45056/kernel');
    const later: PanelSnapshot = JSON.parse(JSON.stringify(inUser));
    later.guest.ticks += 100;
    await panel.sendSnapshot(later);
    assert.equal((await shownShadow()).key, '45056/user');
    await panel.close();
  });

  it('asks for the walk of a clicked address and shows it', async () => {
    const panel = await harness.open('pageTables');
    await panel.sendSnapshot(snapshot);
    await panel.page.click('.vtable[aria-label^="Guest"] .vrow.is-fault [data-col="va"]');
    const request = (await panel.posted()).find((m) => m.type === 'requestWalk');
    assert.deepEqual(request, { type: 'requestWalk', va: 0x00400000 });
    assert.equal(await panel.page.locator('.vrow.is-selected').count(), 3, 'the clicked page is marked in all three tables');
    await panel.send({ type: 'walk', walk: walkOf(snapshot, 0x00400000) });
    await panel.page.waitForSelector('.walk li');
    const steps = await panel.page.$$eval('.walk li', (items) => items.map((i) => i.textContent));
    assert.deepEqual(steps, ['guest page table: PTE → physical 0x00020000', 'hypervisor map: physical 0x00020000 → machine 0x002df000', 'shadow: → machine 0x002df000']);
    await panel.screenshot('page-tables-walk-dark');
    await panel.close();
  });

  it('updates in place on the next stop: same row elements, no flicker', async () => {
    const panel = await harness.open('pageTables');
    await panel.sendSnapshot(snapshot);
    await panel.page.evaluate(() => document.querySelectorAll('.vrow').forEach((row) => ((row as unknown as { marker: number }).marker = 1)));
    const next: PanelSnapshot = JSON.parse(JSON.stringify(snapshot));
    next.guest.ticks += 1;
    next.pageTables.shadows[0].entries.forEach((e) => (e.isChanged = false));
    await panel.sendSnapshot(next);
    const kept = await panel.page.$$eval('.vrow', (rows) => rows.filter((row) => (row as unknown as { marker?: number }).marker === 1).length);
    const total = await panel.page.locator('.vrow').count();
    assert.equal(kept, total, 'every visible row element was reused');
    assert.equal(await panel.page.locator('.vrow.is-changed').count(), 0);
    await panel.send({ type: 'noSession' });
    await panel.page.waitForSelector('body.is-stale');
    assert.match((await panel.page.textContent('#status'))!, /No hyperstep debug session/);
    await panel.close();
  });
});
