// A table that renders only the rows in view: a fixed row height, a spacer as
// tall as every row together, and absolutely positioned rows recycled by key.
// The same item keeps the same row element across stops, so an update only
// rewrites text that changed and nothing flickers; ten thousand timeline
// entries cost a few dozen elements. Plain DOM, no framework.

import { el, setClass, setText } from './dom';

/** Must match ROW_HEIGHT in src/extension/panels/html.ts (the stylesheet). */
export const ROW_HEIGHT = 22;

export interface Column<T> {
  id: string;
  title: string;
  /** A CSS grid track, e.g. "90px" or "minmax(80px, 1fr)". */
  width: string;
  isNumeric?: boolean;
  /** Plain text of the cell (set with textContent). */
  text?(item: T): string;
  /** Custom content for the cell, which is reused across items: it must set all of it, with textContent only. */
  render?(cell: HTMLElement, item: T): void;
  cellClass?(item: T): string;
  /** Makes the cell a button that calls onActivate (addresses to walk, for example). */
  isClickable?(item: T): boolean;
  tooltip?(item: T): string;
}

export interface VirtualTableOptions<T> {
  label: string;
  columns: Array<Column<T>>;
  keyOf(item: T): string;
  rowClass?(item: T): string;
  rowTooltip?(item: T): string;
  /** A click (or Enter) on a row; columnId is the clicked cell's column. */
  onActivate?(item: T, columnId: string): void;
  emptyText: string;
  /** Rows rendered beyond each edge of the view, so fast scrolling shows no gap. */
  overscan?: number;
}

interface RowRecord {
  element: HTMLDivElement;
  cells: HTMLElement[];
  index: number;
  key: string;
}

export class VirtualTable<T> {
  readonly element: HTMLDivElement;
  private readonly scroller: HTMLDivElement;
  private readonly spacer: HTMLDivElement;
  private readonly emptyNote: HTMLDivElement;
  private items: T[] = [];
  private keys: string[] = [];
  private rows = new Map<string, RowRecord>();
  private readonly pool: RowRecord[] = [];
  private frameRequest = 0;

  constructor(
    parent: HTMLElement,
    private readonly options: VirtualTableOptions<T>,
  ) {
    const columns = options.columns;
    this.element = el('div', { className: 'vtable', attributes: { role: 'table', 'aria-label': options.label } });
    this.element.style.setProperty('--cols', columns.map((column) => column.width).join(' '));
    const head = el(
      'div',
      { className: 'vhead', attributes: { role: 'row' } },
      columns.map((column) => el('div', { className: column.isNumeric ? 'cell num' : 'cell', text: column.title, attributes: { role: 'columnheader' } })),
    );
    this.scroller = el('div', { className: 'vscroll', attributes: { tabindex: '0', role: 'rowgroup' } });
    this.spacer = el('div', { className: 'vspacer' });
    this.emptyNote = el('div', { className: 'empty', text: options.emptyText });
    this.scroller.append(this.spacer, this.emptyNote);
    this.element.append(head, this.scroller);
    parent.appendChild(this.element);
    this.scroller.addEventListener('scroll', () => this.schedule());
    new ResizeObserver(() => this.schedule()).observe(this.scroller);
    this.scroller.addEventListener('click', (event) => this.activate(event.target));
    this.scroller.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        this.activate(event.target);
      }
    });
  }

  get length(): number {
    return this.items.length;
  }

  /** The note shown when there are no rows (its reason can change with the data). */
  setEmptyText(text: string): void {
    if (this.emptyNote.textContent !== text) this.emptyNote.textContent = text;
  }

  setItems(items: T[]): void {
    this.items = items;
    const seen = new Set<string>();
    this.keys = items.map((item, i) => {
      let key = this.options.keyOf(item);
      if (seen.has(key)) key = `${key}#${i}`;
      seen.add(key);
      return key;
    });
    this.spacer.style.height = `${items.length * ROW_HEIGHT}px`;
    this.emptyNote.hidden = items.length > 0;
    this.scroller.setAttribute('aria-rowcount', String(items.length));
    this.render();
  }

  /** Re-renders the visible rows (after a selection change, say). */
  refresh(): void {
    this.render();
  }

  indexWhere(predicate: (item: T) => boolean): number {
    return this.items.findIndex(predicate);
  }

  get isScrolledToEnd(): boolean {
    const s = this.scroller;
    return s.scrollTop + s.clientHeight >= s.scrollHeight - ROW_HEIGHT;
  }

  scrollToIndex(index: number, align: 'center' | 'end' | 'nearest' = 'center'): void {
    if (index < 0 || index >= this.items.length) return;
    const view = this.scroller.clientHeight;
    const top = index * ROW_HEIGHT;
    let target = this.scroller.scrollTop;
    if (align === 'center') target = top - (view - ROW_HEIGHT) / 2;
    else if (align === 'end') target = top - view + ROW_HEIGHT;
    else if (top < target) target = top;
    else if (top + ROW_HEIGHT > target + view) target = top + ROW_HEIGHT - view;
    this.scroller.scrollTop = Math.max(0, target);
    this.render();
  }

  private schedule(): void {
    if (this.frameRequest) return;
    this.frameRequest = requestAnimationFrame(() => {
      this.frameRequest = 0;
      this.render();
    });
  }

  private render(): void {
    const overscan = this.options.overscan ?? 8;
    const view = this.scroller.clientHeight || 600;
    const top = this.scroller.scrollTop;
    const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - overscan);
    const last = Math.min(this.items.length - 1, Math.ceil((top + view) / ROW_HEIGHT) + overscan);
    const next = new Map<string, RowRecord>();
    const missing: number[] = [];
    for (let i = first; i <= last; i++) {
      const record = this.rows.get(this.keys[i]);
      if (record) {
        this.rows.delete(this.keys[i]);
        next.set(this.keys[i], record);
        this.fill(record, i);
      } else missing.push(i);
    }
    // Rows that scrolled out (or whose item left) are recycled for the rows that came in.
    const spare = [...this.rows.values()];
    for (const i of missing) {
      const record = spare.pop() ?? this.pool.pop() ?? this.createRow();
      if (!record.element.isConnected) this.spacer.appendChild(record.element);
      record.key = this.keys[i];
      next.set(record.key, record);
      this.fill(record, i);
    }
    for (const record of spare) {
      record.element.remove();
      if (this.pool.length < 64) this.pool.push(record);
    }
    this.rows = next;
  }

  private createRow(): RowRecord {
    const cells = this.options.columns.map((column) => el('div', { attributes: { role: 'cell', 'data-col': column.id } }));
    const element = el('div', { className: 'vrow', attributes: { role: 'row' } }, cells);
    return { element, cells, index: -1, key: '' };
  }

  private fill(record: RowRecord, index: number): void {
    const item = this.items[index];
    const { element, cells } = record;
    record.index = index;
    element.dataset.index = String(index);
    element.dataset.key = this.keys[index];
    element.setAttribute('aria-rowindex', String(index + 1));
    const transform = `translateY(${index * ROW_HEIGHT}px)`;
    if (element.style.transform !== transform) element.style.transform = transform;
    setClass(element, `vrow ${this.options.rowClass?.(item) ?? ''}`.trim());
    const rowTooltip = this.options.rowTooltip?.(item) ?? '';
    if (element.title !== rowTooltip) element.title = rowTooltip;
    this.options.columns.forEach((column, c) => {
      const cell = cells[c];
      const isClickable = column.isClickable?.(item) ?? false;
      setClass(cell, ['cell', column.isNumeric ? 'num' : '', column.cellClass?.(item) ?? ''].filter(Boolean).join(' '));
      if (isClickable) {
        cell.setAttribute('role', 'button');
        cell.tabIndex = 0;
      } else if (cell.getAttribute('role') !== 'cell') {
        cell.setAttribute('role', 'cell');
        cell.removeAttribute('tabindex');
      }
      if (column.render) column.render(cell, item);
      else setText(cell, column.text?.(item) ?? '');
      const tooltip = column.tooltip?.(item) ?? '';
      if (cell.title !== tooltip) cell.title = tooltip;
    });
  }

  private activate(target: EventTarget | null): void {
    if (!(target instanceof Element) || !this.options.onActivate) return;
    const row = target.closest<HTMLElement>('.vrow');
    if (!row) return;
    const item = this.items[Number(row.dataset.index)];
    const cell = target.closest<HTMLElement>('[data-col]');
    if (item !== undefined) this.options.onActivate(item, cell?.dataset.col ?? '');
  }
}
