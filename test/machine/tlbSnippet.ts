// The TLB tests' machine: a snippet of kernel code run with paging on over a
// small fixed layout (see tlb.test.ts for the layout), and the TLB entries it leaves.

import { TlbView } from './check';

export const P = 1,
  W = 2,
  U = 4,
  A = 0x20,
  D = 0x40;

export interface Layout {
  /** PTEs by index (virtual page i); 0 is the code page, mapped to itself. */
  ptes?: Record<number, number>;
  /** Code or data placed at physical addresses (0x2000 and up), by address. */
  extra?: Record<number, string>;
}

export function tlbSnippet(body: string, layout: Layout = {}): string {
  const ptes: Record<number, number> = { 0: 0x0000 | P | W | U, 4: 0x8000 | P | W | U, 5: 0x9000 | P | W | U, 6: 0xa000 | P | W | U, 7: 0x7000 | P | W | U, ...layout.ptes };
  const max = Math.max(...Object.keys(ptes).map(Number));
  const table = Array.from({ length: max + 1 }, (_, i) => `0x${(ptes[i] ?? 0).toString(16)}`).join(', ');
  const blocks: Record<number, string> = {
    0x8000: '.word 0x8888',
    0x9000: '.word 0x9999',
    0xa000: '.word 0xAAAA',
    0xb000: '.word 0xBBBB',
    0xc000: '.word 0xCCCC',
    ...layout.extra,
  };
  const placed = Object.entries(blocks)
    .sort(([x], [y]) => Number(x) - Number(y))
    .map(([address, text]) => `        .org 0x${Number(address).toString(16)}\n        ${text.trim()}`)
    .join('\n');
  return `
        .org 0
        .word ${table}
        .org 0x800
_start: mov sp, 0x3F0            ; a stack inside page 0, below the code
        mov r1, vectors
        mov evt, r1
        mov r1, 0x1000
        mov cr3, r1
${body}
        hlt
on_pf:  mov r10, 14
        ld r11, [sp + 4]
        ld r12, [sp]
        hlt
other:  mov r10, 0xBAD
        hlt
        .align 4
vectors: .word other, other, other, other, other, other, other, other, other, other, other, other, other, other, on_pf, other
        .org 0x1000
        .word 0x0007             ; PDE 0: the table is page 0
${placed}
`;
}

/** The code page's entry; D is cached from the PTE, which has D once page 0 was written. */
export const CODE_PAGE: TlbView = { page: 0, frame: 0, w: true, u: true, d: true };
export const CLEAN_CODE_PAGE: TlbView = { ...CODE_PAGE, d: false };
export const entry = (page: number, frame: number, d = false, w = true, u = true): TlbView => ({ page, frame, w, u, d });
