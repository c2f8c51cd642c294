// The TLB (g32-isa.md §5, §8): not kept in sync with page-table memory, so a
// stale translation is observable until `invlpg`, a `mov cr3` (any value) or a
// page fault on that page removes it; LRU replacement; rights checked from the
// cached bits; a write through an entry whose D is clear walks again.
//
// Layout: page 0 is both the page table of PDE 0 (entries at 4·i, only the
// first few used) and the code (from 0x800), so changing a PTE is a store to
// the code page and needs no TLB entry of its own. The directory is at 0x1000
// (walks read it physically). Virtual pages 4, 5 and 6 start mapped to frames
// 0x8000, 0x9000, 0xA000, which hold 0x8888, 0x9999, 0xAAAA; frame 0xB000 holds
// 0xBBBB and frame 0xC000 0xCCCC.

import { check } from './check';
import { A, CLEAN_CODE_PAGE, CODE_PAGE, D, entry, P, tlbSnippet, U, W } from './tlbSnippet';

describe('machine: TLB', () => {
  it('a stale entry is used after its PTE changes without invlpg', () => {
    check(
      tlbSnippet(`
        ld r2, [0x4000]
        mov r1, 0xB007
        st [0x10], r1            ; PTE 4 -> frame 0xB000
        ld r3, [0x4000]          ; still frame 0x8000
`),
      { stop: 'halted', regs: { r2: 0x8888, r3: 0x8888, r10: 0 }, tlb: [CODE_PAGE, entry(0x4000, 0x8000)] },
    );
  });

  it('invlpg flushes that one page (any address in it); other stale entries stay', () => {
    check(
      tlbSnippet(`
        ld r2, [0x4000]
        ld r3, [0x5000]
        mov r1, 0xB007
        st [0x10], r1
        st [0x14], r1
        mov r1, 0x4FFF
        invlpg r1
        ld r4, [0x4000]          ; walks again: frame 0xB000
        ld r5, [0x5000]          ; stale: frame 0x9000
`),
      { regs: { r2: 0x8888, r3: 0x9999, r4: 0xbbbb, r5: 0x9999 }, tlb: [CODE_PAGE, entry(0x4000, 0xb000), entry(0x5000, 0x9000)] },
    );
  });

  it('invlpg of a page that is not cached changes nothing', () => {
    check(
      tlbSnippet(`
        ld r2, [0x4000]
        mov r1, 0x6000
        invlpg r1
`),
      { regs: { r2: 0x8888 }, tlb: [CLEAN_CODE_PAGE, entry(0x4000, 0x8000)] },
    );
  });

  it('mov cr3 flushes the whole TLB even when the value is unchanged', () => {
    check(
      tlbSnippet(`
        ld r2, [0x4000]
        ld r3, [0x5000]
        mov r1, 0xB007
        st [0x10], r1
        st [0x14], r1
        mov r1, cr3
        mov cr3, r1
        ld r4, [0x4000]
        ld r5, [0x5000]
`),
      { regs: { r2: 0x8888, r3: 0x9999, r4: 0xbbbb, r5: 0xbbbb }, tlb: [CODE_PAGE, entry(0x4000, 0xb000), entry(0x5000, 0xb000)] },
    );
  });

  it('tlbEntries 0: no TLB, so a PTE change is seen at once and the TLB stays empty', () => {
    check(
      tlbSnippet(`
        ld r2, [0x4000]
        mov r1, 0xB007
        st [0x10], r1
        ld r3, [0x4000]
`),
      { regs: { r2: 0x8888, r3: 0xbbbb }, tlb: [] },
      { tlbEntries: 0 },
    );
  });

  it('tlbEntries 0: every access walks, so A and D are set on every page used', () => {
    check(
      tlbSnippet(`
        ld r2, [0x4000]
        mov r1, 0x8007
        st [0x10], r1            ; clear A again
        ld r3, [0x4000]
        st [0x5000], r3
`),
      { regs: { r3: 0x8888 }, words: { 0x10: 0x8007 | A, 0x14: 0x9007 | A | D, 0x9000: 0x8888 } },
      { tlbEntries: 0 },
    );
  });

  it('with a TLB, a cached page is not walked again: A cleared in memory stays clear', () => {
    check(
      tlbSnippet(`
        ld r2, [0x4000]
        mov r1, 0x8007
        st [0x10], r1            ; clear A again
        ld r3, [0x4000]
`),
      { regs: { r3: 0x8888 }, words: { 0x10: 0x8007 } },
    );
  });

  it('LRU replacement (tlbEntries 3, one of them the code page): the least recently used entry goes', () => {
    check(
      tlbSnippet(`
        ld r2, [0x4000]          ; A
        ld r3, [0x5000]          ; B
        ld r4, [0x4000]          ; A used again: B is now the least recently used
        ld r5, [0x6000]          ; C evicts B (the code page is used by every fetch)
        mov r1, 0xB007
        st [0x10], r1
        st [0x14], r1
        st [0x18], r1            ; every data PTE -> frame 0xB000
        ld r6, [0x4000]          ; A survived: stale
        ld r7, [0x6000]          ; C: stale
        ld r8, [0x5000]          ; B was evicted: walks, and evicts A
        ld r9, [0x4000]          ; walks, and evicts C
`),
      {
        stop: 'halted',
        regs: { r2: 0x8888, r3: 0x9999, r4: 0x8888, r5: 0xaaaa, r6: 0x8888, r7: 0xaaaa, r8: 0xbbbb, r9: 0xbbbb },
        tlb: [CODE_PAGE, entry(0x4000, 0xb000), entry(0x5000, 0xb000)],
      },
      { tlbEntries: 3 },
    );
  });

  it('tlbEntries 2: the code page and the last data page survive; filling 3 pages leaves only the last one stale', () => {
    check(
      tlbSnippet(`
        ld r2, [0x4000]
        ld r3, [0x5000]
        ld r4, [0x6000]
        mov r1, 0xB007
        st [0x10], r1
        st [0x14], r1
        st [0x18], r1
        ld r7, [0x6000]          ; stale
        ld r5, [0x4000]          ; evicted: fresh
        ld r6, [0x5000]          ; evicted: fresh
`),
      { regs: { r4: 0xaaaa, r7: 0xaaaa, r5: 0xbbbb, r6: 0xbbbb }, tlb: [CODE_PAGE, entry(0x5000, 0xb000)] },
      { tlbEntries: 2 },
    );
  });

  it('tlbEntries 1: the code page and each data page evict each other, so nothing is ever stale', () => {
    check(
      tlbSnippet(`
        ld r2, [0x4000]
        mov r1, 0xB007
        st [0x10], r1
        ld r3, [0x4000]
`),
      { regs: { r2: 0x8888, r3: 0xbbbb }, tlb: [CODE_PAGE] },
      { tlbEntries: 1 },
    );
  });

  it('an entry caches W and U of both levels ANDed, and D', () => {
    check(
      tlbSnippet(
        `
        ld r2, [0x4000]
        st [0x5000], r2
        ld r3, [0x6000]
`,
        { ptes: { 4: 0x8000 | P, 5: 0x9000 | P | W, 6: 0xa000 | P | U } },
      ).replace('.word 0x0007             ; PDE 0', '.word 0x0003             ; PDE 0'),
      {
        regs: { r10: 0 },
        tlb: [{ page: 0, frame: 0, w: true, u: false, d: false }, entry(0x4000, 0x8000, false, false, false), entry(0x5000, 0x9000, true, true, false), entry(0x6000, 0xa000, false, false, false)],
      },
    );
  });

  it('a hit with insufficient rights faults from the cached bits, without a walk, and the #PF removes the entry', () => {
    check(
      tlbSnippet(
        `
        ld r2, [0x4000]          ; cached read-only
        mov r1, 0x8007
        st [0x10], r1            ; PTE now writable, no invlpg
bad:    st [0x4000], r1          ; faults from the cached W = 0
`,
        { ptes: { 4: 0x8000 | P | U } },
      ),
      {
        regs: { r10: 14, r11: 3, r12: 0x4000 },
        words: { 0x10: 0x8007, 0x8000: 0x8888 },
        tlb: [CODE_PAGE],
      },
    );
  });

  it('after that #PF the retried write walks, succeeds and sets A and D', () => {
    check(
      tlbSnippet(
        `
        ld r2, [0x4000]
        mov r1, 0x8007
        st [0x10], r1
        st [0x4000], r1
`,
        { ptes: { 4: 0x8000 | P | U } },
      ).replace('on_pf:  mov r10, 14', 'on_pf:  add r10, 1\n        add sp, 8\n        iret'),
      {
        stop: 'halted',
        regs: { r10: 1 },
        words: { 0x10: 0x8007 | A | D, 0x8000: 0x8007 },
        tlb: [CODE_PAGE, entry(0x4000, 0x8000, true)],
      },
    );
  });

  it('a user access hitting an entry cached by the kernel with U = 0 faults from the cache (e = protection | user)', () => {
    check(
      tlbSnippet(
        `
        ld r2, [0x4000]          ; kernel caches U = 0
        mov r1, 0x8007
        st [0x10], r1            ; now a user page, no invlpg
        mov r1, 0x300
        mov ksp, r1
        push 0x3F0
        push 1
        push 0
        push user
        iret
user:   ld r3, [0x4000]
`,
        { ptes: { 4: 0x8000 | P | W } },
      ),
      { regs: { r10: 14, r11: 5, r12: 0x4000, r3: 0 }, tlb: [CODE_PAGE], mode: 'kernel' },
    );
  });

  it('a write through an entry whose D is clear walks again: it sees the new PTE and sets D', () => {
    check(
      tlbSnippet(`
        ld r2, [0x4000]          ; cached, D clear
        mov r1, 0xB007
        st [0x10], r1            ; PTE 4 -> frame 0xB000, no invlpg
        mov r3, 0x1234
        st [0x4004], r3          ; D clear: walks again, so the write goes to frame 0xB000
        ld r4, [0x4000]          ; the new entry: 0xBBBB
`),
      { regs: { r2: 0x8888, r4: 0xbbbb }, words: { 0x10: 0xb007 | A | D, 0xb004: 0x1234, 0x8004: 0 }, tlb: [CODE_PAGE, entry(0x4000, 0xb000, true)] },
    );
  });

  it('a write through an entry whose D is set does not walk: it goes to the stale frame', () => {
    check(
      tlbSnippet(`
        st [0x4004], r0          ; cached with D
        mov r1, 0xB007
        st [0x10], r1
        mov r3, 0x1234
        st [0x4004], r3          ; stale frame 0x8000
        ld r4, [0x4000]
`),
      { regs: { r4: 0x8888 }, words: { 0x10: 0xb007, 0x8004: 0x1234, 0xb004: 0 }, tlb: [CODE_PAGE, entry(0x4000, 0x8000, true)] },
    );
  });

  it('a write through a D-clear entry whose PTE became not present faults (e = write) and removes the entry', () => {
    check(
      tlbSnippet(`
        ld r2, [0x4000]
        mov r1, 0
        st [0x10], r1            ; PTE 4 not present, no invlpg
        ld r3, [0x4000]          ; stale hit: still readable
        st [0x4000], r1          ; walks again: not present
`),
      { regs: { r2: 0x8888, r3: 0x8888, r10: 14, r11: 2, r12: 0x4000 }, tlb: [CODE_PAGE], words: { 0x8000: 0x8888 } },
    );
  });

  it('a write that rewalks the code page updates the translation instructions are fetched through', () => {
    // Virtual page 7 runs code from frame 0x7000. The code repoints PTE 7 at frame
    // 0xC000 and then writes to page 7 through its D-clear entry: the walk caches
    // frame 0xC000, so the next instruction comes from there.
    check(
      tlbSnippet(
        `
        jmp 0x7000
`,
        {
          extra: {
            0x7000: `mov r1, 0xC007
        st [0x1C], r1
        st [0x7F00], r0
        mov r5, 1
        hlt`,
            0xc000: `.space 0x18
        mov r6, 2
        hlt`,
          },
        },
      ),
      { stop: 'halted', regs: { r5: 0, r6: 2 }, words: { 0x1c: 0xc007 | A | D } },
    );
  });

  it('user code cannot run from a page the kernel fetched from (cached U = 0): #PF protection | user | fetch', () => {
    check(
      tlbSnippet(
        `
        jmp 0x7000
back:   mov r1, 0x7007
        st [0x1C], r1            ; page 7 becomes a user page, no invlpg
        mov r1, 0x300
        mov ksp, r1
        push 0x3F0
        push 1
        push 0
        push 0x7000
        iret
`,
        { ptes: { 7: 0x7000 | P | W }, extra: { 0x7000: 'jmp back' } },
      ),
      { regs: { r10: 14, r11: 0x15, r12: 0x7000 }, tlb: [CODE_PAGE] },
    );
  });
});
