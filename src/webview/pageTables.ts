// Page tables panel: the guest page table (virtual -> guest-physical), the
// hypervisor map (guest-physical -> machine) and the shadow (virtual ->
// machine) side by side. The stop's address is highlighted in all three,
// entries changed since the last stop are marked, and clicking an address asks
// the extension for its walk (`hyperstep/walk`).

import type { GuestMappingView, PanelSnapshot, ShadowMappingView, ShadowTableView, WalkView } from '../protocol/panelMessages';
import { el, hex, pageOf, setText } from './dom';
import { renderFlags } from './flags';
import { post, startPanel } from './host';
import { VirtualTable } from './virtualTable';

interface MapRow {
  gpa: number;
  ma: number;
}

const app = document.getElementById('app')!;
let snapshot: PanelSnapshot | undefined;
/** The page the user clicked, shown in all three tables. */
let selectedVa: number | undefined;
/** The shadow the user picked in the selector, for the stop it was picked at; otherwise the active shadow is shown. */
let chosenShadow: { key: string; stop: string } | undefined;
let shadowKey: string | undefined;
let lastScrolledTo: string | undefined;

const toolbar = el('div', { className: 'toolbar' });
const legend = el('div', { className: 'legend' }, [
  el('span', {}, [el('span', { className: 'swatch fault' }), document.createTextNode('address of the stop')]),
  el('span', {}, [el('span', { className: 'swatch changed' }), document.createTextNode('changed since the last stop')]),
  el('span', {}, [el('span', { className: 'swatch selected' }), document.createTextNode('clicked')]),
  el('span', { title: 'The shadow entry maps another frame than the guest table and the hypervisor map give now: a PTE changed without invlpg.' }, [
    el('span', { className: 'swatch stale' }),
    document.createTextNode('stale'),
  ]),
]);
const shadowSelect = el('select', { attributes: { 'aria-label': 'Which shadow page table' } });
const shadowChooser = el('label', { text: 'Shadow ' }, [shadowSelect]);
toolbar.append(legend, shadowChooser);
const tables = el('div', { className: 'tables' });
app.append(toolbar, tables);

function pane(title: string): { pane: HTMLElement; subtitle: HTMLElement } {
  const subtitle = el('span', { className: 'dim' });
  const titleRow = el('div', { className: 'pane-title' }, [el('h2', { text: title }), subtitle]);
  const element = el('section', { className: 'table-pane' }, [titleRow]);
  tables.appendChild(element);
  return { pane: element, subtitle };
}

function faultPage(): number | undefined {
  const va = snapshot?.pageTables.highlightVa;
  return va === undefined ? undefined : pageOf(va);
}

/** Guest-physical frame that the guest maps a page to, if present. */
function guestFrameOf(page: number | undefined): number | undefined {
  if (page === undefined || !snapshot) return undefined;
  const mapping = snapshot.pageTables.guest.find((m) => pageOf(m.va) === page);
  return mapping === undefined ? undefined : pageOf(mapping.pa);
}

function rowClass(isFault: boolean, isSelected: boolean, isChanged: boolean): string {
  return [isChanged ? 'is-changed' : '', isSelected ? 'is-selected' : '', isFault ? 'is-fault' : ''].filter(Boolean).join(' ');
}

function select(va: number): void {
  selectedVa = pageOf(va);
  // Bring the page's entry into view in every table, so the walk can be followed by eye.
  const page = selectedVa;
  const frame = guestFrameOf(page);
  guestTable.scrollToIndex(
    guestTable.indexWhere((m) => pageOf(m.va) === page),
    'nearest',
  );
  mapTable.scrollToIndex(
    mapTable.indexWhere((m) => pageOf(m.gpa) === frame),
    'nearest',
  );
  shadowTable.scrollToIndex(
    shadowTable.indexWhere((m) => pageOf(m.va) === page),
    'nearest',
  );
  for (const table of [guestTable, mapTable, shadowTable]) table.refresh();
  walkTitle.textContent = `Walk of ${hex(va)}: asking the debugger…`;
  post({ type: 'requestWalk', va });
}

const guestPane = pane('Guest');
const guestTable = new VirtualTable<GuestMappingView>(guestPane.pane, {
  label: 'Guest page table: virtual to guest-physical',
  emptyText: 'No present entries (paging is off in the guest).',
  keyOf: (m) => String(m.va),
  rowClass: (m) => rowClass(pageOf(m.va) === faultPage(), pageOf(m.va) === selectedVa, m.isChanged),
  rowTooltip: (m) => `PDE ${hex(m.pde)} · PTE ${hex(m.pte)}`,
  onActivate: (m) => select(m.va),
  columns: [
    { id: 'va', title: 'virtual', width: 'minmax(84px, 1fr)', text: (m) => hex(m.va), cellClass: () => 'addr', isClickable: () => true },
    { id: 'pa', title: 'physical', width: 'minmax(84px, 1fr)', text: (m) => hex(m.pa) },
    {
      id: 'flags',
      title: 'P W U A D',
      width: '86px',
      render: (cell, m) =>
        renderFlags(cell, [
          ['P', m.flags.p],
          ['W', m.flags.w],
          ['U', m.flags.u],
          ['A', m.flags.a],
          ['D', m.flags.d],
        ]),
    },
  ],
});

const mapPane = pane('Hypervisor map');
const mapTable = new VirtualTable<MapRow>(mapPane.pane, {
  label: 'Hypervisor map: guest-physical to machine',
  emptyText: 'No guest RAM.',
  keyOf: (m) => String(m.gpa),
  rowClass: (m) => rowClass(pageOf(m.gpa) === guestFrameOf(faultPage()), pageOf(m.gpa) === guestFrameOf(selectedVa), false),
  onActivate: (m) => {
    const mapping = snapshot?.pageTables.guest.find((g) => pageOf(g.pa) === pageOf(m.gpa));
    if (mapping) select(mapping.va);
    else walkTitle.textContent = `Guest-physical ${hex(m.gpa)} is not mapped by the current guest page table.`;
  },
  columns: [
    { id: 'gpa', title: 'guest-physical', width: 'minmax(110px, 1fr)', text: (m) => hex(m.gpa), cellClass: () => 'addr', isClickable: () => true },
    { id: 'ma', title: 'machine', width: 'minmax(84px, 1fr)', text: (m) => hex(m.ma) },
  ],
});

const shadowPane = pane('Shadow');
shadowSelect.addEventListener('change', () => {
  chosenShadow = { key: shadowSelect.value, stop: stopKey() };
  renderShadow();
});
const shadowTable = new VirtualTable<ShadowMappingView>(shadowPane.pane, {
  label: 'Shadow page table: virtual to machine',
  emptyText: 'No shadow page table: the guest runs on bare hardware or with nested paging.',
  keyOf: (m) => String(m.va),
  rowClass: (m) => [rowClass(pageOf(m.va) === faultPage(), pageOf(m.va) === selectedVa, m.isChanged), m.staleReason ? 'is-stale' : ''].filter(Boolean).join(' '),
  rowTooltip: (m) => m.staleReason ?? '',
  onActivate: (m) => select(m.va),
  columns: [
    { id: 'va', title: 'virtual', width: 'minmax(84px, 1fr)', text: (m) => hex(m.va), cellClass: () => 'addr', isClickable: () => true },
    { id: 'ma', title: 'machine', width: 'minmax(84px, 1fr)', text: (m) => hex(m.ma) },
    { id: 'w', title: 'W', width: '28px', render: (cell, m) => renderFlags(cell, [['W', m.isWritable]]) },
    { id: 'stale', title: '', width: '40px', text: (m) => (m.staleReason ? 'stale' : ''), cellClass: () => 'stale' },
  ],
});

const walk = el('section', { className: 'walk', attributes: { 'aria-live': 'polite' } });
const walkTitle = el('h2', { text: 'Click an address to see its walk through the guest table, the hypervisor map and the shadow.' });
const walkSteps = el('ol');
walk.append(walkTitle, walkSteps);
app.appendChild(walk);

function keyOfShadow(shadow: ShadowTableView): string {
  return `${shadow.guestDirectory}/${shadow.variant}`;
}

function shadowLabel(shadow: ShadowTableView): string {
  const directory = shadow.guestDirectory < 0 ? 'paging off' : `PD ${hex(shadow.guestDirectory)}`;
  return `${shadow.variant} · ${directory}${shadow.isActive ? ' · active' : ''} (${shadow.entries.length})`;
}

/** One stop of the guest: the user's pick in the selector lasts until the next one. */
function stopKey(): string {
  return snapshot ? `${snapshot.guest.id}:${snapshot.guest.ticks}:${snapshot.guest.pc}:${snapshot.stopDescription}` : '';
}

function renderShadow(): void {
  const shadows = snapshot?.pageTables.shadows ?? [];
  const chosen = chosenShadow && chosenShadow.stop === stopKey() ? shadows.find((s) => keyOfShadow(s) === chosenShadow!.key) : undefined;
  const current = chosen ?? shadows.find((s) => s.isActive) ?? shadows[0];
  shadowKey = current ? keyOfShadow(current) : undefined;
  while (shadowSelect.options.length > shadows.length) shadowSelect.remove(shadowSelect.options.length - 1);
  shadows.forEach((shadow, i) => {
    const option = shadowSelect.options[i] ?? shadowSelect.appendChild(el('option'));
    option.value = keyOfShadow(shadow);
    setText(option, shadowLabel(shadow));
  });
  shadowChooser.hidden = shadows.length < 2;
  if (shadowKey !== undefined) shadowSelect.value = shadowKey;
  shadowTable.setEmptyText(
    current ? 'This shadow has no entries yet: every access through it takes a hidden page fault that fills it.' : 'No shadow page table: the guest runs on bare hardware or with nested paging.',
  );
  shadowTable.setItems(current ? [...current.entries].sort((a, b) => a.va - b.va) : []);
  setText(shadowPane.subtitle, current ? `virtual → machine · ${current.variant}${current.isActive ? ', active' : ''}` : '');
  shadowPane.pane.dataset.shadow = shadowKey ?? '';
}

function update(next: PanelSnapshot): void {
  snapshot = next;
  const tablesView = next.pageTables;
  guestTable.setItems([...tablesView.guest].sort((a, b) => a.va - b.va));
  setText(guestPane.subtitle, `virtual → physical · cr3 ${hex(next.guest.cr3)}`);
  mapTable.setItems([...tablesView.hypervisorMap].sort((a, b) => a.gpa - b.gpa));
  setText(mapPane.subtitle, `physical → machine · ${tablesView.hypervisorMap.length} frames`);
  renderShadow();
  // Bring the stop's address into view once per stop, and leave the user's scrolling alone otherwise.
  const page = faultPage();
  const scrollKey = page === undefined ? undefined : `${next.guest.ticks}:${page}`;
  if (page !== undefined && scrollKey !== lastScrolledTo) {
    lastScrolledTo = scrollKey;
    guestTable.scrollToIndex(guestTable.indexWhere((m) => pageOf(m.va) === page));
    const frame = guestFrameOf(page);
    mapTable.scrollToIndex(mapTable.indexWhere((m) => pageOf(m.gpa) === frame));
    shadowTable.scrollToIndex(shadowTable.indexWhere((m) => pageOf(m.va) === page));
  }
}

const WALK_TABLE_NAMES: Record<WalkView['steps'][number]['table'], string> = {
  guest: 'guest page table',
  'hypervisor-map': 'hypervisor map',
  shadow: 'shadow',
  tlb: 'TLB',
};

function showWalk(view: WalkView): void {
  setText(walkTitle, `Walk of ${hex(view.va)}`);
  while (walkSteps.children.length > view.steps.length) walkSteps.lastChild!.remove();
  view.steps.forEach((step, i) => {
    const item = (walkSteps.children[i] as HTMLLIElement | undefined) ?? walkSteps.appendChild(el('li', {}, [el('strong'), el('span', { className: 'walk-text' })]));
    item.className = step.isOk ? 'ok' : 'fail';
    setText(item.children[0], `${WALK_TABLE_NAMES[step.table]}: `);
    setText(item.children[1], step.text);
  });
}

startPanel({ update, onWalk: showWalk });
