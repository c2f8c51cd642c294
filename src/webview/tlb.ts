// TLB panel: every entry with its age (0 = used most recently), the hits and
// misses so far, and the last flush and its reason. The entry for the stop's
// address, if cached, is highlighted as in the page tables panel.

import type { PanelSnapshot, TlbEntryView } from '../protocol/panelMessages';
import { el, formatCount, hex, pageOf, setText } from './dom';
import { renderFlags } from './flags';
import { startPanel } from './host';
import { VirtualTable } from './virtualTable';

const app = document.getElementById('app')!;
let snapshot: PanelSnapshot | undefined;
let previous = new Map<number, string>();
let changed = new Set<number>();

function card(label: string, size = 'big'): HTMLElement {
  const value = el('div', { className: size });
  const note = el('div', { className: 'dim' });
  const element = el('div', { className: 'card' }, [el('div', { className: 'dim', text: label }), value, note]);
  element.dataset.card = label;
  cards.appendChild(element);
  return element;
}
const cards = el('div', { className: 'cards' });
app.appendChild(cards);
const usedCard = card('entries in use');
const hitCard = card('hits');
const missCard = card('misses');
const flushCard = card('last flush', 'mid');

function setCard(element: HTMLElement, value: string, note: string): void {
  setText(element.children[1], value);
  setText(element.children[2], note);
}

const table = new VirtualTable<TlbEntryView>(app, {
  label: 'TLB entries',
  emptyText: 'The TLB is empty (just flushed, or tlbEntries is 0).',
  keyOf: (e) => String(e.index),
  rowClass: (e) =>
    [
      changed.has(e.index) ? 'is-changed' : '',
      snapshot?.pageTables.highlightVa !== undefined && pageOf(e.va) === pageOf(snapshot.pageTables.highlightVa) ? 'is-fault' : '',
      e.staleReason ? 'is-stale' : '',
    ]
      .filter(Boolean)
      .join(' '),
  rowTooltip: (e) => e.staleReason ?? '',
  columns: [
    { id: 'index', title: '#', width: '36px', isNumeric: true, text: (e) => String(e.index) },
    { id: 'va', title: 'virtual page', width: 'minmax(100px, 1fr)', text: (e) => hex(e.va) },
    { id: 'frame', title: 'frame', width: 'minmax(100px, 1fr)', text: (e) => hex(e.frame) },
    {
      id: 'flags',
      title: 'W U D',
      width: '70px',
      render: (cell, e) =>
        renderFlags(cell, [
          ['W', e.isWritable],
          ['U', e.isUser],
          ['D', e.isDirty],
        ]),
    },
    { id: 'age', title: 'age', width: '48px', isNumeric: true, text: (e) => String(e.age) },
    { id: 'stale', title: '', width: '40px', text: (e) => (e.staleReason ? 'stale' : ''), cellClass: () => 'stale' },
    {
      id: 'recency',
      title: 'recency',
      width: 'minmax(80px, 1fr)',
      tooltip: (e) => (e.age === 0 ? 'used most recently' : `${e.age} TLB uses since this entry was last used`),
      render: (cell, e) => {
        const bar = (cell.firstElementChild as HTMLElement | null) ?? cell.appendChild(el('span', { className: 'bar' }));
        const n = Math.max(1, snapshot?.tlb.nEntries ?? 16);
        bar.style.width = `${Math.max(4, Math.round(100 * (1 - Math.min(e.age, n) / n)))}%`;
      },
    },
  ],
});

function update(next: PanelSnapshot): void {
  snapshot = next;
  const tlb = next.tlb;
  const entries = [...tlb.entries].sort((a, b) => a.index - b.index);
  // An entry is new since the last stop when its slot now caches another page or frame.
  const now = new Map(entries.map((e) => [e.index, `${e.va}:${e.frame}:${e.isWritable}:${e.isUser}`]));
  changed = new Set(previous.size === 0 ? [] : entries.filter((e) => previous.get(e.index) !== now.get(e.index)).map((e) => e.index));
  previous = now;
  const lookups = tlb.hits + tlb.misses;
  setCard(usedCard, `${entries.length} / ${tlb.nEntries}`, 'fully associative, LRU');
  setCard(hitCard, formatCount(tlb.hits), lookups ? `${((100 * tlb.hits) / lookups).toFixed(1)}% of ${formatCount(lookups)} look-ups` : 'no look-ups yet');
  setCard(missCard, formatCount(tlb.misses), 'each one walks the page table');
  const flush = tlb.lastFlush;
  setCard(flushCard, flush ? flush.reason : 'never', flush ? `at tick ${flush.ticks}${flush.page !== undefined ? ` · page ${hex(flush.page)}` : ' · every entry'}` : 'since the run began');
  table.setItems(entries);
}

startPanel({ update });
