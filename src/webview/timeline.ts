// Trap timeline: every hypervisor event in order (kind, guest pc and
// instruction, how it was handled). Thousands of entries scroll smoothly
// because only the rows in view exist; clicking a row reveals its source line.
// It follows the newest event unless the user has scrolled back.

import type { PanelSnapshot, TimelineEntry } from '../protocol/panelMessages';
import { el, hex, setClass, setText } from './dom';
import { post, startPanel } from './host';
import { VirtualTable } from './virtualTable';

const app = document.getElementById('app')!;
let entries: TimelineEntry[] = [];
let lastSeq = -1;
let filterText = '';

const filter = el('input', { attributes: { type: 'search', placeholder: 'Filter: kind, instruction or handling', 'aria-label': 'Filter the timeline' } });
const count = el('span', { className: 'dim' });
app.appendChild(el('div', { className: 'toolbar' }, [filter, count]));

/** Groups the event kinds (the exception filter ids) by colour. */
function kindClass(kind: string): string {
  if (['protection-fault', 'privileged-emulated', 'io-emulated', 'sensitive'].includes(kind)) return 'kind kind-trap';
  if (['guest-page-fault', 'hidden-page-fault', 'shadow-dropped', 'cr3-load', 'tlb-flush'].includes(kind)) return 'kind kind-paging';
  if (['syscall', 'reflected', 'exception'].includes(kind)) return 'kind kind-reflect';
  if (['hypercall', 'bt-translate', 'hw-exit'].includes(kind)) return 'kind kind-assist';
  if (kind === 'divergence') return 'kind kind-divergence';
  return 'kind kind-other';
}

const table = new VirtualTable<TimelineEntry>(app, {
  label: 'Hypervisor events in order',
  emptyText: 'No hypervisor event yet.',
  keyOf: (e) => String(e.seq),
  rowClass: (e) => [e.source ? 'has-source' : '', e.seq === lastSeq ? 'is-current' : ''].filter(Boolean).join(' '),
  rowTooltip: (e) => (e.source ? `${e.source.path}:${e.source.line}` : 'no source line for this pc'),
  onActivate: (e) => {
    if (e.source) post({ type: 'revealSource', path: e.source.path, line: e.source.line });
  },
  columns: [
    { id: 'seq', title: '#', width: '56px', isNumeric: true, text: (e) => String(e.seq) },
    { id: 'ticks', title: 'tick', width: '64px', isNumeric: true, text: (e) => String(e.ticks) },
    {
      id: 'kind',
      title: 'event',
      width: '150px',
      render: (cell, e) => {
        const badge = cell.firstElementChild ?? cell.appendChild(el('span'));
        setClass(badge, kindClass(e.kind));
        setText(badge, e.kind);
      },
    },
    { id: 'guest', title: 'guest', width: '44px', isNumeric: true, text: (e) => String(e.guest) },
    { id: 'pc', title: 'pc', width: '92px', text: (e) => hex(e.pc) },
    { id: 'instruction', title: 'instruction', width: 'minmax(120px, 1fr)', text: (e) => e.instruction },
    { id: 'description', title: 'how it was handled', width: 'minmax(160px, 2fr)', text: (e) => e.description, tooltip: (e) => e.description },
  ],
});

function matches(entry: TimelineEntry): boolean {
  if (!filterText) return true;
  const needle = filterText.toLowerCase();
  return entry.kind.includes(needle) || entry.instruction.toLowerCase().includes(needle) || entry.description.toLowerCase().includes(needle);
}

function show(): void {
  const wasAtEnd = table.length === 0 || table.isScrolledToEnd;
  const shown = filterText ? entries.filter(matches) : entries;
  table.setItems(shown);
  setText(count, filterText ? `${shown.length} of ${entries.length} events` : `${entries.length} events`);
  if (wasAtEnd) table.scrollToIndex(shown.length - 1, 'end');
}

filter.addEventListener('input', () => {
  filterText = filter.value.trim();
  show();
});

function update(snapshot: PanelSnapshot): void {
  entries = snapshot.timeline;
  lastSeq = entries.length ? entries[entries.length - 1].seq : -1;
  show();
}

startPanel({ update });
