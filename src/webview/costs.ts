// Costs panel: the cost counters of this run by kind, the guest's versus the
// real page-table switches, and the same program run to completion under other
// settings side by side. Few rows, so a plain table, updated in place by label.

import type { CostsView, PanelSnapshot } from '../protocol/panelMessages';
import { el, formatCount, setText } from './dom';
import { post, startPanel } from './host';

interface Run {
  setting: string;
  rows: Array<{ label: string; value: number }>;
  estimatedCycles: number;
  isCurrent: boolean;
}

const app = document.getElementById('app')!;
let costs: CostsView | undefined;
let compareWith = '';

const compareSelect = el('select', { attributes: { 'aria-label': 'Compare with' } });
compareSelect.addEventListener('change', () => {
  compareWith = compareSelect.value;
  if (compareWith) post({ type: 'compareWith', setting: compareWith });
  render();
});
app.appendChild(el('div', { className: 'toolbar' }, [el('label', { text: 'Compare with' }), compareSelect]));
const cards = el('div', { className: 'cards' });
app.appendChild(cards);
const switchesCard = el('div', { className: 'card', attributes: { 'data-card': 'switches' } }, [
  el('div', { className: 'dim', text: 'page-table switches (guest · real)' }),
  el('div', { className: 'big' }),
  el('div', { className: 'dim' }),
]);
// Nested paging's price: no shadow to keep, but every TLB miss is a two-dimensional walk.
const walksCard = el('div', { className: 'card', attributes: { 'data-card': 'walks' } }, [
  el('div', { className: 'dim', text: 'TLB misses · page-walk references' }),
  el('div', { className: 'big' }),
  el('div', { className: 'dim' }),
]);
const table = el('table', { className: 'plain', attributes: { 'aria-label': 'Cost counters' } });
const head = table.createTHead().insertRow();
const body = table.createTBody();
app.appendChild(el('div', { className: 'scroll-y' }, [table]));

function runs(): Run[] {
  if (!costs) return [];
  const others = costs.comparisons.filter((c) => !compareWith || c.setting === compareWith);
  return [{ ...costs, isCurrent: true }, ...others.map((c) => ({ ...c, isCurrent: false }))];
}

function valueOf(run: Run, label: string): number | undefined {
  return run.rows.find((row) => row.label === label)?.value;
}

/** Finds the counter of guest (or real) page-table switches by its label. */
function switchCount(run: Run, who: 'guest' | 'real'): number | undefined {
  const row = run.rows.find((r) => r.label.toLowerCase().includes(who) && /page-table switch|cr3/i.test(r.label));
  return row?.value;
}

/** TLB misses and the memory references their walks made, one- or two-dimensional, from the rows' labels. */
function walkCounts(run: Run): { misses: number; references: number; isNested: boolean } | undefined {
  const misses = valueOf(run, 'TLB misses');
  if (misses === undefined) return undefined;
  const oneD = run.rows.find((r) => /one-dimensional/i.test(r.label))?.value ?? 0;
  const twoD = run.rows.find((r) => /nested walk/i.test(r.label))?.value ?? 0;
  return { misses, references: oneD + twoD, isNested: twoD > 0 };
}

function setCells(row: HTMLTableRowElement, texts: string[], classes: string[], tag: 'td' | 'th'): void {
  while (row.cells.length > texts.length) row.deleteCell(-1);
  texts.forEach((text, i) => {
    const cell = row.cells[i] ?? row.appendChild(document.createElement(tag));
    setText(cell, text);
    if (cell.className !== classes[i]) cell.className = classes[i];
  });
}

function render(): void {
  const all = runs();
  // Options: every compared setting, plus "all".
  const settings = ['', ...(costs?.comparisons.map((c) => c.setting) ?? [])];
  while (compareSelect.options.length > settings.length) compareSelect.remove(compareSelect.options.length - 1);
  settings.forEach((setting, i) => {
    const option = compareSelect.options[i] ?? compareSelect.appendChild(el('option'));
    option.value = setting;
    setText(option, setting || 'every other setting');
  });
  compareSelect.value = compareWith;

  // The compared runs went to completion; this one only to the stop, so bars compare the whole runs only.
  const maxCycles = Math.max(1, ...all.filter((run) => !run.isCurrent).map((run) => run.estimatedCycles));
  while (cards.children.length > all.length) cards.lastChild!.remove();
  all.forEach((run, i) => {
    const card =
      (cards.children[i] as HTMLElement | undefined) ??
      cards.appendChild(el('div', { className: 'card' }, [el('div', { className: 'dim' }), el('div', { className: 'big' }), el('span', { className: 'bar cost' })]));
    card.dataset.card = run.isCurrent ? 'current' : run.setting;
    setText(card.children[0], run.isCurrent ? `this run so far · ${run.setting}` : `whole run · ${run.setting}`);
    setText(card.children[1], `${formatCount(run.estimatedCycles)} cycles`);
    const bar = card.children[2] as HTMLElement;
    bar.hidden = run.isCurrent;
    bar.style.width = `${Math.max(2, Math.round((160 * run.estimatedCycles) / maxCycles))}px`;
  });
  if (costs) {
    cards.appendChild(switchesCard);
    const current = all[0];
    const guest = switchCount(current, 'guest');
    const real = switchCount(current, 'real');
    setText(switchesCard.children[1], `${guest ?? '–'} · ${real ?? '–'}`);
    setText(
      switchesCard.children[2],
      guest !== undefined && real !== undefined && real !== guest
        ? `the hypervisor switched the real cr3 ${real > guest ? real - guest : guest - real} times ${real > guest ? 'more' : 'less'} than the guest did`
        : 'every guest cr3 load was one real switch',
    );
  }

  const walks = costs ? walkCounts(all[0]) : undefined;
  if (walks) {
    cards.appendChild(walksCard);
    setText(walksCard.children[1], `${formatCount(walks.misses)} · ${formatCount(walks.references)}`);
    const perMiss = walks.misses > 0 ? (walks.references / walks.misses).toFixed(1) : '0';
    setText(
      walksCard.children[2],
      walks.isNested
        ? `${perMiss} references per miss: each walk is two-dimensional (the guest's table, each entry through the hypervisor's map)`
        : `${perMiss} references per miss: one-dimensional walks (${/none/.test(all[0].setting) ? "the program's own table" : 'the shadow'})`,
    );
  } else walksCard.remove();

  setCells(head, ['counter', ...all.map((run) => (run.isCurrent ? `this run so far (${run.setting})` : `${run.setting}, whole run`))], ['', ...all.map(() => 'num')], 'th');
  const labels: string[] = [];
  for (const run of all) for (const row of run.rows) if (!labels.includes(row.label)) labels.push(row.label);
  const wanted = [...labels, 'estimated cycles'];
  const existing = new Map(Array.from(body.rows).map((row) => [row.dataset.label ?? '', row]));
  wanted.forEach((label, i) => {
    const row = existing.get(label) ?? document.createElement('tr');
    row.dataset.label = label;
    if (body.rows[i] !== row) body.insertBefore(row, body.rows[i] ?? null);
    existing.delete(label);
    const values = all.map((run) => (label === 'estimated cycles' ? run.estimatedCycles : valueOf(run, label)));
    setCells(row, [label, ...values.map((v) => (v === undefined ? '–' : formatCount(v)))], ['', ...all.map((run) => (run.isCurrent ? 'num current' : 'num'))], 'td');
    row.className = label === 'estimated cycles' ? 'total' : '';
  });
  for (const row of existing.values()) row.remove();
}

startPanel({
  update: (snapshot: PanelSnapshot) => {
    costs = snapshot.costs;
    render();
  },
});
