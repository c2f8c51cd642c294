// Translation cache panel (binary translation): the cached guest blocks, whether
// each is still interpreted (not yet hot) or translated, and why it was
// retranslated (adaptive translation), how often each ran and what it chains to;
// selecting one shows its guest instructions next to the code it became.
// Other settings have no cache.

import type { PanelSnapshot, TranslatedBlockView } from '../protocol/panelMessages';
import { el, formatCount, hex, setText } from './dom';
import { startPanel } from './host';
import { VirtualTable } from './virtualTable';

const app = document.getElementById('app')!;
let selected: number | undefined;
let blocks: TranslatedBlockView[] = [];

const summary = el('div', { className: 'summary' });
app.appendChild(summary);
const split = el('div', { className: 'split' });
app.appendChild(split);
const left = el('div', { className: 'table-pane' });
split.appendChild(left);
const detail = el('section', { className: 'detail', attributes: { 'aria-live': 'polite' } });
split.appendChild(detail);
const detailTitle = el('h2');
const guestCode = el('pre');
const generatedCode = el('pre');
detail.append(detailTitle, el('div', { className: 'dim', text: 'guest instructions' }), guestCode, el('div', { className: 'dim', text: 'translated code' }), generatedCode);

const table = new VirtualTable<TranslatedBlockView>(left, {
  label: 'Translated blocks',
  emptyText: 'No translated block yet.',
  keyOf: (b) => `${b.guestAddress}:${b.isPretendUser}`,
  rowClass: (b) => (b.guestAddress === selected ? 'is-selected' : ''),
  onActivate: (b) => {
    selected = b.guestAddress;
    table.refresh();
    showDetail();
  },
  columns: [
    { id: 'address', title: 'guest block', width: 'minmax(92px, 1fr)', text: (b) => hex(b.guestAddress), cellClass: () => 'addr', isClickable: () => true },
    { id: 'mode', title: 'mode', width: '60px', text: (b) => (b.isPretendUser ? 'user' : 'kernel') },
    { id: 'size', title: 'instrs', width: '52px', isNumeric: true, text: (b) => String(b.guestInstructions.length) },
    { id: 'runs', title: 'runs', width: '70px', isNumeric: true, text: (b) => formatCount(b.executions) },
    { id: 'tier', title: 'tier', width: '110px', text: (b) => (!b.isTranslated ? 'interpreted' : b.retranslated ? 'retranslated' : 'translated') },
    { id: 'chained', title: 'chained to', width: 'minmax(100px, 1fr)', text: (b) => b.chainedTo.map((a) => hex(a)).join(', ') || '—' },
  ],
});

function setSummary(items: Array<[string, string]>): void {
  while (summary.children.length > items.length) summary.lastChild!.remove();
  items.forEach(([key, value], i) => {
    const item = summary.children[i] ?? summary.appendChild(el('span', {}, [el('span', { className: 'k' }), el('span', { className: 'mono' })]));
    setText(item.children[0], key);
    setText(item.children[1], value);
  });
}

function showDetail(): void {
  const block = blocks.find((b) => b.guestAddress === selected);
  setText(detailTitle, block ? `Block at ${hex(block.guestAddress)} (${block.isPretendUser ? 'pretend user' : 'pretend kernel'})` : 'Select a block to see what it became.');
  setText(guestCode, block ? block.guestInstructions.join('\n') : '');
  const why = block?.retranslated ? `Retranslated: ${block.retranslated}.\n\n` : '';
  setText(
    generatedCode,
    block
      ? why + (block.isTranslated ? block.generatedCode : `Not translated yet: interpreted until it has run often enough (the translation threshold); ${formatCount(block.executions)} runs so far.`)
      : '',
  );
}

function update(snapshot: PanelSnapshot): void {
  const cache = snapshot.translationCache;
  split.hidden = !cache;
  if (!cache) {
    blocks = [];
    setSummary([['No translation cache:', `this run's setting is ${snapshot.setting}; only binary-translation translates guest code.`]]);
    return;
  }
  blocks = [...cache.blocks].sort((a, b) => a.guestAddress - b.guestAddress);
  setSummary([
    ['blocks', formatCount(blocks.length)],
    ['translated', formatCount(blocks.filter((b) => b.isTranslated).length)],
    ['retranslated', formatCount(blocks.filter((b) => b.retranslated).length)],
    ['hits', formatCount(cache.hits)],
    ['misses', formatCount(cache.misses)],
    ['invalidations', formatCount(cache.invalidations)],
  ]);
  if (selected === undefined || !blocks.some((b) => b.guestAddress === selected)) {
    selected = blocks.find((b) => b.guestAddress === snapshot.guest.pc)?.guestAddress ?? blocks[0]?.guestAddress;
  }
  table.setItems(blocks);
  showDetail();
}

startPanel({ update });
