// The TLB, costs and translation cache panels in headless Chromium, and the
// rule every panel must keep: guest-controlled text is shown as text.

import * as assert from 'node:assert/strict';
import type { PanelKind, PanelSnapshot, TranslationCacheView } from '../../src/protocol/panelMessages';
import { loadFixture, usePanelHarness } from './harness';

const ATTACK = '<img src=x onerror="window.__pwned=1">';

const CACHE: TranslationCacheView = {
  hits: 412,
  misses: 23,
  invalidations: 2,
  blocks: [
    {
      guestAddress: 0x1a40,
      isPretendUser: false,
      guestInstructions: ['ldb r3, [r1]', 'st [CONSOLE], r3', 'add r1, 1', 'sub r2, 1', 'jnz .next'],
      generatedCode: 'ldb r3, [r1]\ncall hv_mmio_store(CONSOLE, r3)\nadd r1, 1\nsub r2, 1\njnz chain 0x00001A40',
      executions: 37,
      chainedTo: [0x1a40, 0x1a60],
      isTranslated: true,
      retranslated: 'its last instruction trapped 4 times (stores to the memory-mapped console): now emulated without a trap',
    },
    { guestAddress: 0x1310, isPretendUser: false, guestInstructions: ['pop r0', 'iret'], generatedCode: 'pop r0\ncall hv_iret()', executions: 12, chainedTo: [], isTranslated: true },
    { guestAddress: 0x1008, isPretendUser: false, guestInstructions: ['mov r1, vectors', 'mov evt, r1'], generatedCode: '', executions: 1, chainedTo: [0x1010], isTranslated: false },
  ],
};

describe('TLB, costs and translation cache panels (Chromium)', function () {
  this.timeout(60000);
  const harness = usePanelHarness();
  const snapshot = loadFixture();

  it('TLB: every entry with its age, hits and misses, and the last flush and why', async () => {
    const panel = await harness.open('tlb', 'dark', { width: 900, height: 560 });
    await panel.sendSnapshot(snapshot);
    assert.equal(await panel.page.locator('.vrow').count(), snapshot.tlb.entries.length);
    const first = await panel.page.$$eval('.vrow[data-key="0"] [data-col]', (cells) => cells.map((c) => c.textContent));
    assert.deepEqual(first.slice(0, 5), ['0', '0x0001f000', '0x002e0000', 'WUD'.replace('U', '·'), '0']);
    const cards = await panel.page.textContent('.cards');
    assert.match(cards!, /14 \/ 16/);
    assert.match(cards!, /1,287/);
    assert.match(cards!, /real cr3 switched to the kernel shadow \(system call\)/);
    assert.match(cards!, /at tick 476/);
    await panel.screenshot('tlb-dark');
    await panel.setTheme('light');
    await panel.screenshot('tlb-light');
    assert.deepEqual(panel.errors, []);
    await panel.close();
  });

  it('costs: counters per kind, page-table switches, other settings side by side', async () => {
    const panel = await harness.open('costs', 'dark', { width: 1100, height: 640 });
    await panel.sendSnapshot(snapshot);
    const headers = await panel.page.$$eval('thead th', (cells) => cells.map((c) => c.textContent));
    assert.deepEqual(headers, [
      'counter',
      'this run so far (trap-and-emulate / shadow-on-demand / separate)',
      'none, whole run',
      'trap-and-emulate / shadow-proactive / separate, whole run',
      'hardware-assist / nested / separate, whole run',
    ]);
    const hidden = await panel.page.$$eval('tr[data-label="hidden page faults"] td', (cells) => cells.map((c) => c.textContent));
    assert.deepEqual(hidden, ['hidden page faults', '9', '0', '58', '0']);
    assert.match((await panel.page.textContent('[data-card="switches"]'))!, /1 · 4/);
    await panel.screenshot('costs-dark');
    await panel.setTheme('light');
    await panel.screenshot('costs-light');
    await panel.page.selectOption('select', 'none');
    assert.deepEqual(
      (await panel.posted()).filter((m) => m.type === 'compareWith'),
      [{ type: 'compareWith', setting: 'none' }],
    );
    assert.equal(await panel.page.locator('thead th').count(), 3);
    await panel.close();
  });

  it('costs: TLB misses next to the memory references of their walks, one- or two-dimensional', async () => {
    const panel = await harness.open('costs', 'dark', { width: 1100, height: 640 });
    const nested = loadFixture();
    nested.costs.setting = 'hardware-assist / nested';
    nested.costs.rows = [
      ...nested.costs.rows.filter((r) => !/TLB misses|one-dimensional|nested walk/.test(r.label)),
      { label: 'TLB misses', value: 49 },
      { label: 'page-walk memory references (one-dimensional)', value: 0 },
      { label: 'nested walk memory references', value: 351 },
    ];
    await panel.sendSnapshot(nested);
    const card = (await panel.page.textContent('[data-card="walks"]'))!;
    assert.match(card, /49 · 351/);
    assert.match(card, /7\.2 references per miss: each walk is two-dimensional/);
    const shadow = loadFixture();
    shadow.costs.rows = [
      ...shadow.costs.rows.filter((r) => !/TLB misses|one-dimensional|nested walk/.test(r.label)),
      { label: 'TLB misses', value: 606 },
      { label: 'page-walk memory references (one-dimensional)', value: 1212 },
    ];
    await panel.sendSnapshot(shadow);
    assert.match((await panel.page.textContent('[data-card="walks"]'))!, /606 · 1,212.*2\.0 references per miss: one-dimensional walks \(the shadow\)/);
    assert.deepEqual(panel.errors, []);
    await panel.close();
  });

  it('translation cache: says when there is none, lists blocks and shows what one became', async () => {
    const panel = await harness.open('translationCache', 'dark', { width: 1100, height: 560 });
    await panel.sendSnapshot(snapshot);
    assert.match((await panel.page.textContent('.summary'))!, /No translation cache/);
    await panel.sendSnapshot({ ...snapshot, setting: 'binary-translation / shadow-proactive / separate', translationCache: CACHE });
    assert.equal(await panel.page.locator('.vrow').count(), 3);
    assert.match((await panel.page.textContent('.detail'))!, /call hv_mmio_store/, 'the block at the pc is shown first');
    assert.match((await panel.page.textContent('.detail'))!, /Retranslated: its last instruction trapped 4 times \(stores to the memory-mapped console\)/);
    const tiers = await panel.page.$$eval('.vrow [data-col="tier"]', (cells) => cells.map((c) => c.textContent));
    assert.deepEqual(tiers, ['interpreted', 'translated', 'retranslated']);
    await panel.page.click('.vrow[data-key="4104:false"] [data-col="address"]');
    assert.match((await panel.page.textContent('.detail'))!, /Not translated yet: interpreted until it has run often enough/);
    await panel.screenshot('translation-cache-dark');
    await panel.close();
  });

  for (const kind of ['pageTables', 'tlb', 'timeline', 'costs', 'translationCache'] as PanelKind[]) {
    it(`${kind}: guest text with markup appears as text; no element is made and no script runs`, async () => {
      const panel = await harness.open(kind, 'dark', { width: 1100, height: 600 });
      const evil: PanelSnapshot = JSON.parse(JSON.stringify(snapshot));
      evil.guest.name = ATTACK;
      evil.stopDescription = `Paused on exception: console said ${ATTACK}`;
      evil.timeline[evil.timeline.length - 1].instruction = ATTACK;
      evil.timeline[evil.timeline.length - 1].description = ATTACK;
      evil.costs.rows[0].label = ATTACK;
      evil.tlb.lastFlush!.reason = ATTACK;
      evil.translationCache = { ...CACHE, blocks: [{ ...CACHE.blocks[0], guestAddress: evil.guest.pc, guestInstructions: [ATTACK], generatedCode: ATTACK }] };
      await panel.sendSnapshot(evil);
      const text = await panel.page.textContent('body');
      assert.ok(text!.includes(ATTACK), 'the markup is visible as text');
      const appBody = kind === 'pageTables' ? 'header' : '#app';
      assert.ok((await panel.page.textContent(appBody))!.includes(ATTACK), `the markup is shown in ${appBody}`);
      assert.equal(await panel.page.locator('img').count(), 0, 'no img element');
      assert.equal(await panel.page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined, 'no script ran');
      assert.deepEqual(await panel.violations(), []);
      await panel.close();
    });
  }
});
