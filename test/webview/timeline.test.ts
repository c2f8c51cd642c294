// The trap timeline in headless Chromium: a virtualized list that renders only
// the rows in view, even with ten thousand hypervisor events.

import * as assert from 'node:assert/strict';
import type { PanelSnapshot, TimelineEntry } from '../../src/protocol/panelMessages';
import { loadFixture, usePanelHarness } from './harness';

const KINDS = ['protection-fault', 'privileged-emulated', 'io-emulated', 'hidden-page-fault', 'syscall', 'reflected', 'tlb-flush', 'cr3-load'];

function withManyEvents(snapshot: PanelSnapshot, n: number): PanelSnapshot {
  const timeline: TimelineEntry[] = [];
  for (let seq = 0; seq < n; seq++) {
    timeline.push({
      seq,
      kind: KINDS[seq % KINDS.length],
      guest: 0,
      pc: 0x1000 + (seq % 512) * 8,
      instruction: `st [CONSOLE], r${seq % 8}`,
      description: `event number ${seq}`,
      ticks: seq * 7,
      source: { path: 'examples/os/console.g32', line: 10 },
    });
  }
  return { ...snapshot, timeline };
}

describe('trap timeline panel (Chromium)', function () {
  this.timeout(60000);
  const harness = usePanelHarness();
  const snapshot = loadFixture();

  it('shows every event of the stop, newest in view, and reveals a source line on click', async () => {
    const panel = await harness.open('timeline', 'dark', { width: 1100, height: 620 });
    await panel.sendSnapshot(snapshot);
    const last = snapshot.timeline[snapshot.timeline.length - 1];
    const current = panel.page.locator('.vrow.is-current');
    await current.waitFor();
    assert.equal(await current.locator('[data-col="instruction"]').textContent(), last.instruction);
    assert.equal(await current.locator('[data-col="kind"]').textContent(), 'hidden-page-fault');
    await current.click();
    const reveal = (await panel.posted()).find((m) => m.type === 'revealSource');
    assert.deepEqual(reveal, { type: 'revealSource', path: 'examples/os/syscalls.g32', line: 53 });
    await panel.screenshot('timeline-dark');
    await panel.setTheme('light');
    await panel.screenshot('timeline-light');
    // The filter narrows the list to matching events.
    await panel.page.fill('input[type=search]', 'mov cr3');
    await panel.page.waitForFunction(() => document.querySelectorAll('.vrow').length === 3);
    assert.deepEqual(panel.errors, []);
    await panel.close();
  });

  it('renders only a few dozen rows of 10,000 events, and scrolls', async () => {
    const panel = await harness.open('timeline', 'dark', { width: 1100, height: 620 });
    const big = withManyEvents(snapshot, 10000);
    await panel.sendSnapshot(big);
    const elapsed = Number(await panel.page.getAttribute('body', 'data-draw-ms'));
    const rowCount = () => panel.page.locator('.vrow').count();
    const rendered = await rowCount();
    assert.ok(rendered > 10 && rendered < 80, `rendered ${rendered} rows`);
    assert.equal(await panel.page.getAttribute('.vscroll', 'aria-rowcount'), '10000');
    // It follows the newest event.
    assert.equal(await panel.page.locator('.vrow[data-key="9999"]').count(), 1);
    // Scroll to the middle: the rows there appear, still only a few dozen.
    await panel.page.evaluate(() => {
      document.querySelector('.vscroll')!.scrollTop = 5000 * 22;
    });
    await panel.page.waitForSelector('.vrow[data-key="5005"]');
    const afterScroll = await rowCount();
    assert.ok(afterScroll < 80, `rendered ${afterScroll} rows after scrolling`);
    assert.equal(await panel.page.locator('.vrow[data-key="5005"] [data-col="description"]').textContent(), 'event number 5005');
    await panel.page.mouse.move(500, 300);
    await panel.page.mouse.wheel(0, 2000);
    await panel.page.waitForFunction(() => document.querySelector('.vscroll')!.scrollTop > 5000 * 22 + 1000);
    await panel.page.waitForSelector('.vrow[data-key="5100"]');
    assert.ok(elapsed < 1000, `a 10,000-event snapshot took ${elapsed} ms to draw`);
    await panel.screenshot('timeline-10000-dark');
    await panel.close();
  });
});
