// Small DOM helpers for the panels. Every string goes in as textContent, never
// as markup, because most of what the panels show comes from the guest.

/** An address as every message of the simulator and the debugger shows it: `0x` and lower-case digits. A copy of machine/format.ts's hexWord, since panels may import only protocol. */
export function hex(value: number, digits = 8): string {
  return `0x${(value >>> 0).toString(16).padStart(digits, '0')}`;
}

/** The page an address lies in (4 KiB pages, docs/machine.md, Paging). */
export function pageOf(address: number): number {
  return (address & 0xfffff000) >>> 0;
}

export interface ElementOptions {
  className?: string;
  text?: string;
  title?: string;
  attributes?: Record<string, string>;
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, options: ElementOptions = {}, children: Node[] = []): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (options.className) element.className = options.className;
  if (options.text !== undefined) element.textContent = options.text;
  if (options.title !== undefined) element.title = options.title;
  for (const [name, value] of Object.entries(options.attributes ?? {})) element.setAttribute(name, value);
  for (const child of children) element.appendChild(child);
  return element;
}

/** Sets text only when it differs, so an unchanged stop causes no layout work. */
export function setText(element: Element, text: string): void {
  if (element.textContent !== text) element.textContent = text;
}

export function setClass(element: Element, className: string): void {
  if (element.className !== className) element.className = className;
}

export function formatCount(value: number): string {
  return value.toLocaleString('en-US');
}
