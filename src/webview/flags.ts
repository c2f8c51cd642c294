// Decoded page-table and TLB flags as a row of letters, off ones dimmed.

import { el, setClass, setText } from './dom';

/** Fills a cell with one span per flag; the spans are reused across updates. */
export function renderFlags(cell: HTMLElement, flags: Array<[letter: string, isSet: boolean]>): void {
  while (cell.children.length < flags.length) cell.appendChild(el('span'));
  while (cell.children.length > flags.length) cell.lastChild!.remove();
  flags.forEach(([letter, isSet], i) => {
    const span = cell.children[i];
    setText(span, isSet ? letter : '·');
    setClass(span, isSet ? 'flag on' : 'flag off');
  });
}
