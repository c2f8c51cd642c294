// Paging (g32-isa.md §5, §8): the two-level walk, U and W in both levels, A and
// D written by the walker only on success, page-fault error codes and fault
// addresses, paging off, and accesses that cross a page boundary.
//
// Layout of every snippet: code and the vector table in page 0, the page
// directory at 0x1000, the first page table at 0x2000 (virtual 0–4 MiB), the
// stacks in page 3 (kernel sp 0x3F00, ksp 0x3800, user sp 0x3C00), and a second
// page table at 0x6000 for PDE 1 (virtual 0x400000–0x7FFFFF). Pages 0–3 are
// identity-mapped P|W|U; the other entries are what each test gives.

import { check, Expected, vectorTable } from './check';

const P = 1,
  W = 2,
  U = 4,
  A = 0x20,
  D = 0x40;
const PF_PROT = 1,
  PF_WRITE = 2,
  PF_USER = 4,
  PF_FETCH = 16;

interface Tables {
  /** PDE 1 (pointing at the table at 0x6000 when present); 0 = not present. */
  pde1?: number;
  /** Extra entries of the first page table, by index. */
  pt0?: Record<number, number>;
  /** Entries of the second page table, by index (virtual 0x400000 + 0x1000·i). */
  pt1?: Record<number, number>;
  /** Flags of PDE 0 (default P|W|U). */
  pde0?: number;
  /** Words of physical memory, by address (0x7000 and up). */
  data?: Record<number, number>;
}

/** A kernel that turns paging on, runs `body`, and records a page fault in r10–r13 (14, e, a, saved pc); syscall sets r10 = 48 and halts. */
function paged(body: string, tables: Tables = {}): string {
  const memory = new Map<number, number>();
  memory.set(0x1000, 0x2000 | (tables.pde0 ?? P | W | U));
  memory.set(0x1004, tables.pde1 ?? 0);
  const pt0 = { 0: 0x0000 | P | W | U, 1: 0x1000 | P | W | U, 2: 0x2000 | P | W | U, 3: 0x3000 | P | W | U, ...tables.pt0 };
  for (const [index, value] of Object.entries(pt0)) memory.set(0x2000 + 4 * Number(index), value);
  for (const [index, value] of Object.entries(tables.pt1 ?? {})) memory.set(0x6000 + 4 * Number(index), value);
  for (const [address, value] of Object.entries(tables.data ?? {})) memory.set(Number(address), value);
  const placed = [...memory.entries()]
    .sort(([x], [y]) => x - y)
    .map(([address, value]) => `        .org 0x${address.toString(16)}\n        .word 0x${(value >>> 0).toString(16)}`)
    .join('\n');
  return `
_start: mov sp, 0x3F00
        mov r1, vectors
        mov evt, r1
        mov r1, 0x3800
        mov ksp, r1
        mov r1, 0x1000
        mov cr3, r1
${body}
        hlt
on_pf:  mov r10, 14
        ld r11, [sp + 4]
        ld r12, [sp]
        ld r13, [sp + 8]
        hlt
on_sys: mov r10, 48
        hlt
other:  mov r10, 0xBAD
        hlt
${vectorTable({ 14: 'on_pf', 48: 'on_sys' }, 'other')}
${placed}
`;
}

/** Enters user mode at `entry` (sp 0x3C00). */
function toUser(entry: string, flags = 0): string {
  return `
        push 0x3C00
        push 1
        push ${flags}
        push ${entry}
        iret`;
}

/** Expect a page fault with error code `e` at address `a` (saved pc `pc`). */
function fault(e: number, a: number, pc: string | number, more: Expected = {}): Expected {
  return { stop: 'halted', ...more, regs: { r10: 14, r11: e, r12: a, r13: pc, ...more.regs } };
}

const PT1 = 0x6000 | P | W | U;

describe('machine: paging', () => {
  describe('the two-level walk', () => {
    it('translates through directory index (bits 31–22), table index (21–12) and offset (11–0)', () => {
      check(
        paged(
          `
        mov r1, 0x11111111
        st [0x5123], r1          ; PDE 0, PTE 5 -> frame 0x9000
        mov r1, 0x22222222
        st [0x401FFC], r1        ; PDE 1, PTE 1 -> frame 0xA000
        ld r2, [0x5123]
        ld r3, [0x401FFC]
        mov r4, 0x33
        stb [0x7FF], r4          ; identity page 0
`,
          { pde1: PT1, pt0: { 5: 0x9000 | P | W }, pt1: { 1: 0xa000 | P | W } },
        ),
        {
          stop: 'halted',
          regs: { r2: 0x11111111, r3: 0x22222222, r10: 0 },
          words: { 0x9120: 0x11000000, 0x9124: 0x00111111, 0xaffc: 0x22222222, 0x5120: 0 },
          bytes: { 0x7ff: 0x33 },
        },
      );
    });

    it('the directory is at cr3 & ~0xFFF: low bits of cr3 are kept in the register but ignored by the walk', () => {
      check(
        paged(
          `
        mov r1, 0x1FFF
        mov cr3, r1
        ld r2, [0x5000]
        mov r3, cr3
`,
          { pt0: { 5: 0x9000 | P }, data: { 0x9000: 0xcafe } },
        ),
        { stop: 'halted', regs: { r2: 0xcafe, r3: 0x1fff, r10: 0 }, cr3: 0x1fff },
      );
    });

    it('a PTE whose frame is outside RAM gives a bus error on access (the walk itself succeeded)', () => {
      check(
        paged(
          `
bad:    ld r1, [0x5000]
`,
          { pt0: { 5: 0x200000 | P } },
        ),
        { stop: 'bus-error', pc: 'bad', words: { 0x2014: 0x200000 | P | A } },
      );
    });

    it('several virtual pages may map the same frame', () => {
      check(
        paged(
          `
        mov r1, 0xABCD
        st [0x5010], r1
        ld r2, [0x6010]
        ld r3, [0x400010]
`,
          { pde1: PT1, pt0: { 5: 0x9000 | P | W, 6: 0x9000 | P }, pt1: { 0: 0x9000 | P } },
        ),
        { regs: { r2: 0xabcd, r3: 0xabcd, r10: 0 } },
      );
    });

    it('PDE and PTE bits other than P, W, U, A, D and the frame are ignored (no large pages) and kept when A/D are set', () => {
      check(
        paged(
          `
        mov r1, 0x5A5A
        st [0x400000], r1
        ld r2, [0x400000]
`,
          { pde1: PT1 | 0x80 | 0x18 | 0xf00, pt1: { 0: 0x9000 | P | W | 0x80 | 0x18 | 0xf00 } },
        ),
        {
          regs: { r2: 0x5a5a, r10: 0 },
          words: { 0x9000: 0x5a5a, 0x1004: PT1 | 0x80 | 0x18 | 0xf00 | A, 0x6000: 0x9000 | P | W | 0x80 | 0x18 | 0xf00 | A | D },
        },
      );
    });
  });

  describe('A and D bits', () => {
    it('a read sets A in the PDE and the PTE it used; D stays clear', () => {
      check(
        paged(
          `
        ld r2, [0x400000]
`,
          { pde1: PT1, pt1: { 0: 0x9000 | P | W, 1: 0xa000 | P | W } },
        ),
        {
          regs: { r10: 0 },
          words: { 0x1004: PT1 | A, 0x6000: 0x9000 | P | W | A, 0x6004: 0xa000 | P | W },
        },
      );
    });

    it('a write sets A in both and D in the PTE only', () => {
      check(
        paged(
          `
        st [0x400000], r0
`,
          { pde1: PT1, pt1: { 0: 0x9000 | P | W } },
        ),
        { regs: { r10: 0 }, words: { 0x1004: PT1 | A, 0x6000: 0x9000 | P | W | A | D } },
      );
    });

    it('a byte write sets D too; an instruction fetch sets A (code page) and the stack page gets A and D', () => {
      check(
        paged(
          `
        stb [0x400000], r0
        push 1
`,
          { pde1: PT1, pt1: { 0: 0x9000 | P | W } },
        ),
        {
          regs: { r10: 0 },
          words: { 0x6000: 0x9000 | P | W | A | D, 0x2000: P | W | U | A, 0x200c: 0x3000 | P | W | U | A | D, 0x1000: 0x2000 | P | W | U | A },
        },
      );
    });

    it('a faulting access sets neither A nor D (not in the PDE either)', () => {
      check(
        paged(
          `
        ${toUser('user')}
user:   st [0x400000], r0        ; PTE read-only: protection fault
`,
          { pde1: PT1, pt1: { 0: 0x9000 | P | U } },
        ),
        fault(PF_PROT | PF_WRITE | PF_USER, 0x400000, 'user', {
          words: { 0x1004: PT1, 0x6000: 0x9000 | P | U },
        }),
      );
    });

    it('a fault on the PTE level does not set the A of the PDE that was read', () => {
      check(
        paged(
          `
bad:    ld r1, [0x401000]
`,
          { pde1: PT1, pt1: { 0: 0x9000 | P } },
        ),
        fault(0, 0x401000, 'bad', { words: { 0x1004: PT1 } }),
      );
    });
  });

  describe('rights: user access needs U in both levels, any write (kernel too) needs W in both levels', () => {
    // [description, pde1, pte, access ('read' | 'write' | 'fetch'), isUser, expected error code or 'ok']
    const cases: Array<[string, number, number, 'read' | 'write' | 'fetch', boolean, number | 'ok']> = [
      ['kernel read of a supervisor read-only page', PT1, 0x9000 | P, 'read', false, 'ok'],
      ['kernel write of a read-only PTE', PT1, 0x9000 | P | U, 'write', false, PF_PROT | PF_WRITE],
      ['kernel write under a read-only PDE', 0x6000 | P | U, 0x9000 | P | W | U, 'write', false, PF_PROT | PF_WRITE],
      ['kernel write with W in both', PT1, 0x9000 | P | W, 'write', false, 'ok'],
      ['kernel read of a user page', PT1, 0x9000 | P | U, 'read', false, 'ok'],
      ['user read with U in both', PT1, 0x9000 | P | U, 'read', true, 'ok'],
      ['user read of a supervisor PTE', PT1, 0x9000 | P | W, 'read', true, PF_PROT | PF_USER],
      ['user read under a supervisor PDE', 0x6000 | P | W, 0x9000 | P | W | U, 'read', true, PF_PROT | PF_USER],
      ['user write of a read-only PTE', PT1, 0x9000 | P | U, 'write', true, PF_PROT | PF_WRITE | PF_USER],
      ['user write under a read-only PDE', 0x6000 | P | U, 0x9000 | P | W | U, 'write', true, PF_PROT | PF_WRITE | PF_USER],
      ['user write of a supervisor page', PT1, 0x9000 | P | W, 'write', true, PF_PROT | PF_WRITE | PF_USER],
      ['user write with U and W in both', PT1, 0x9000 | P | W | U, 'write', true, 'ok'],
      ['kernel read, PDE not present', 0, 0x9000 | P, 'read', false, 0],
      ['kernel write, PDE not present', 0, 0x9000 | P, 'write', false, PF_WRITE],
      ['user read, PDE not present', 0, 0x9000 | P, 'read', true, PF_USER],
      ['user write, PDE not present', 0, 0x9000 | P, 'write', true, PF_WRITE | PF_USER],
      ['kernel read, PTE not present', PT1, 0x9000 | W | U, 'read', false, 0],
      ['user write, PTE not present', PT1, 0x9000 | W | U, 'write', true, PF_WRITE | PF_USER],
      ['not present before protection: PDE P = 0 and U = 0, user read', 0x6000 | W, 0x9000 | P, 'read', true, PF_USER],
      ['not present before protection: PTE P = 0 under a supervisor PDE, user write', 0x6000 | P, 0x9000 | W, 'write', true, PF_WRITE | PF_USER],
      ['kernel fetch from a read-only supervisor page', PT1, 0x9000 | P, 'fetch', false, 'ok'],
      ['kernel fetch, PTE not present', PT1, 0x9000, 'fetch', false, PF_FETCH],
      ['kernel fetch, PDE not present', 0, 0x9000 | P, 'fetch', false, PF_FETCH],
      ['user fetch from a read-only user page', PT1, 0x9000 | P | U, 'fetch', true, 'ok'],
      ['user fetch from a supervisor page', PT1, 0x9000 | P | W, 'fetch', true, PF_PROT | PF_USER | PF_FETCH],
      ['user fetch under a supervisor PDE', 0x6000 | P | W, 0x9000 | P | W | U, 'fetch', true, PF_PROT | PF_USER | PF_FETCH],
      ['user fetch, PTE not present', PT1, 0x9000 | U, 'fetch', true, PF_USER | PF_FETCH],
    ];
    for (const [description, pde1, pte, access, isUser, outcome] of cases) {
      it(`${description}: ${outcome === 'ok' ? 'allowed' : `#PF e = 0x${outcome.toString(16)}`}`, () => {
        const operation = access === 'read' ? 'ld r5, [0x400200]' : access === 'write' ? 'st [0x400200], r4' : 'jmp 0x400100';
        const body = `
        mov r4, 0x7777
        ${isUser ? toUser('user') : ''}
user:
bad:    ${operation}
        mov r6, 1
        syscall`;
        // Frame 0x9000 holds 'mov r6, 2; syscall' at 0x100 (the fetch target) and 0x1234 at 0x200.
        const source = paged(body, { pde1, pt1: { 0: pte } }) + '        .org 0x9100\n        mov r6, 2\n        syscall\n        .org 0x9200\n        .word 0x1234\n';
        const result: Expected =
          outcome === 'ok'
            ? { stop: 'halted', regs: { r10: 48, r6: access === 'fetch' ? 2 : 1, r5: access === 'read' ? 0x1234 : 0 }, words: { 0x9200: access === 'write' ? 0x7777 : 0x1234 } }
            : fault(outcome, access === 'fetch' ? 0x400100 : 0x400200, access === 'fetch' ? 0x400100 : 'bad', { regs: { r6: 0, r5: 0 }, mode: 'kernel', words: { 0x9200: 0x1234 } });
        check(source, result);
      });
    }
  });

  describe('paging off (cr3 = 0) allows everything', () => {
    it('user mode reads and writes any address, and runs any code, with paging off', () => {
      check(
        `
_start: mov sp, 0x3F00
        mov r1, vectors
        mov evt, r1
        mov r1, 0x3800
        mov ksp, r1
        ${toUser('user')}
user:   mov r1, 0x99
        st [0x1000], r1          ; would be the page directory
        ld r2, [0]
        jmp 0x500
        .org 0x500
        mov r3, 3
        syscall
on_sys: mov r10, 48
        hlt
other:  mov r10, 0xBAD
        hlt
${vectorTable({ 48: 'on_sys' }, 'other')}`,
        { stop: 'halted', regs: { r10: 48, r3: 3 }, words: { 0x1000: 0x99 } },
      );
    });

    it('turning paging off again (mov cr3 with 0) makes addresses physical', () => {
      check(
        paged(
          `
        ld r2, [0x5000]
        mov r1, 0
        mov cr3, r1
        ld r3, [0x5000]
`,
          { pt0: { 5: 0x9000 | P }, data: { 0x9000: 0x9999 } },
        ) + '        .org 0x5000\n        .word 0x5555\n'.replace('.org 0x5000', '.org 0xA000'),
        {
          regs: { r2: 0x9999, r3: 0, r10: 0 },
          cr3: 0,
        },
      );
    });
  });

  describe('an access that crosses a page boundary', () => {
    it('is translated page by page: its bytes may land in frames that are not adjacent', () => {
      check(
        paged(
          `
        mov r1, 0x44332211
        st [0x400FFE], r1
        ld r2, [0x400FFE]
        ld r3, [0x400FFF]
`,
          { pde1: PT1, pt1: { 0: 0xa000 | P | W, 1: 0x9000 | P | W } },
        ),
        {
          regs: { r2: 0x44332211, r3: 0x00443322, r10: 0 },
          bytes: { 0xaffe: 0x11, 0xafff: 0x22, 0x9000: 0x33, 0x9001: 0x44, 0xb000: 0, 0x8fff: 0 },
          words: { 0x6000: 0xa000 | P | W | A | D, 0x6004: 0x9000 | P | W | A | D },
        },
      );
    });

    it('a load whose second page is missing: fault address = first byte on the second page; the first page keeps its A', () => {
      check(
        paged(
          `
        mov r2, 0x5555
bad:    ld r2, [0x400FFD]
`,
          { pde1: PT1, pt1: { 0: 0xa000 | P | W } },
        ),
        fault(0, 0x401000, 'bad', {
          regs: { r2: 0x5555 },
          words: { 0x6000: 0xa000 | P | W | A, 0x6004: 0, 0x1004: PT1 | A },
        }),
      );
    });

    it('a store whose second page is read-only: nothing is written; the first page keeps A and D', () => {
      check(
        paged(
          `
        mov r1, 0xFFFFFFFF
bad:    st [0x400FFE], r1
`,
          { pde1: PT1, pt1: { 0: 0xa000 | P | W, 1: 0x9000 | P } },
        ),
        fault(PF_PROT | PF_WRITE, 0x401000, 'bad', {
          bytes: { 0xaffe: 0, 0xafff: 0, 0x9000: 0, 0x9001: 0 },
          words: { 0x6000: 0xa000 | P | W | A | D, 0x6004: 0x9000 | P },
        }),
      );
    });

    it('a store whose first page faults: the fault address is the access address and the second page is not walked', () => {
      check(
        paged(
          `
        mov r1, 0xFFFFFFFF
bad:    st [0x400FFF], r1
`,
          { pde1: PT1, pt1: { 0: 0xa000 | P, 1: 0x9000 | P | W } },
        ),
        fault(PF_PROT | PF_WRITE, 0x400fff, 'bad', {
          bytes: { 0xafff: 0, 0x9000: 0 },
          words: { 0x6000: 0xa000 | P, 0x6004: 0x9000 | P | W },
        }),
      );
    });

    it('a user store that crosses into a supervisor page faults with the user and write bits at the second page', () => {
      check(
        paged(
          `
        ${toUser('user')}
user:   mov r1, 0x01020304
bad:    st [0x400FFC + 2], r1
`,
          { pde1: PT1, pt1: { 0: 0xa000 | P | W | U, 1: 0x9000 | P | W } },
        ),
        fault(PF_PROT | PF_WRITE | PF_USER, 0x401000, 'bad', {
          bytes: { 0xaffe: 0, 0xafff: 0 },
          words: { 0x6000: 0xa000 | P | W | U | A | D },
        }),
      );
    });

    it("an 8-byte instruction whose second word is on a missing page faults as a fetch at that word's address", () => {
      // Frame 0xA000 ends with the first word of 'mov r7, 0x77' (copied there at run time); page 0x401000 is missing.
      check(
        paged(
          `
        ld r1, [model]
        st [0x400FFC], r1
        mov r7, 1
        jmp 0x400FFC
model:  mov r7, 0x77
`,
          { pde1: PT1, pt1: { 0: 0xa000 | P | W } },
        ),
        fault(PF_FETCH, 0x401000, 0x400ffc, { regs: { r7: 1 }, words: { 0x6000: 0xa000 | P | W | A | D } }),
      );
    });

    it('the same instruction from user mode: e = user | fetch', () => {
      check(
        paged(
          `
        ld r1, [model]
        st [0x400FFC], r1
        mov r7, 1
        ${toUser('0x400FFC')}
model:  mov r7, 0x77
`,
          { pde1: PT1, pt1: { 0: 0xa000 | P | W | U, 1: 0x9000 | W | U } },
        ),
        fault(PF_USER | PF_FETCH, 0x401000, 0x400ffc, { regs: { r7: 1 } }),
      );
    });

    it('and its second word on a supervisor page, from user mode: a protection fault at that word', () => {
      check(
        paged(
          `
        ld r1, [model]
        st [0x400FFC], r1
        mov r7, 1
        ${toUser('0x400FFC')}
model:  mov r7, 0x77
`,
          { pde1: PT1, pt1: { 0: 0xa000 | P | W | U, 1: 0x9000 | P | W } },
        ),
        fault(PF_PROT | PF_USER | PF_FETCH, 0x401000, 0x400ffc, { regs: { r7: 1 } }),
      );
    });

    it('when both pages are present the 8-byte instruction runs', () => {
      check(
        paged(
          `
        ld r1, [model]
        st [0x400FFC], r1
        ld r1, [model + 4]
        st [0x401000], r1
        mov r1, 0
        st [0x401004], r1        ; followed by a 'jmp back' built the same way
        ld r1, [model + 8]
        st [0x401004], r1
        ld r1, [model + 12]
        st [0x401008], r1
        jmp 0x400FFC
model:  mov r7, 0x77
        jmp back
back:   mov r8, 8
`,
          { pde1: PT1, pt1: { 0: 0xa000 | P | W, 1: 0x9000 | P | W } },
        ),
        { stop: 'halted', regs: { r7: 0x77, r8: 8, r10: 0 } },
      );
    });

    it('an unaligned instruction whose first word crosses onto a missing page faults as a fetch at the second page', () => {
      check(
        paged(
          `
        ldb r1, [model]
        stb [0x400FFE], r1
        ldb r1, [model + 1]
        stb [0x400FFF], r1
        jmp 0x400FFE
model:  nop
`,
          { pde1: PT1, pt1: { 0: 0xa000 | P | W } },
        ),
        fault(PF_FETCH, 0x401000, 0x400ffe),
      );
    });

    it('a 4-byte instruction in the last word of a page needs no second page', () => {
      check(
        paged(
          `
        ld r1, [model]
        st [0x400FFC], r1
        jmp 0x400FFC
model:  syscall
`,
          { pde1: PT1, pt1: { 0: 0xa000 | P | W } },
        ),
        { stop: 'halted', regs: { r10: 48 } },
      );
    });
  });

  describe('page-fault delivery', () => {
    it('the fault address is the virtual address, and the handler can map the page and retry (iret)', () => {
      check(
        paged(
          `
        mov r2, 0
bad:    ld r2, [0x400123]
        mov r9, 9
`,
          { pde1: PT1, pt0: { 6: 0x6000 | P | W }, data: { 0xa120: 0xdd000000, 0xa124: 0x00ccbbaa } },
        ).replace(
          `on_pf:  mov r10, 14`,
          `on_pf:  add sp, 8
        mov r1, 0xA007
        st [0x6000], r1          ; PTE 0 of the second table: now present
        add r10, 1
        iret
        mov r10, 14`,
        ),
        { stop: 'halted', regs: { r2: 0xccbbaadd, r9: 9, r10: 1 }, words: { 0x6000: 0xa007 | A } },
      );
    });
  });

  describe('faulting instructions change nothing', () => {
    it('a push to a read-only page faults with sp unchanged', () => {
      check(
        paged(
          `
        ${toUser('user')}
user:   mov sp, 0x400010
bad:    push 5
`,
          { pde1: PT1, pt1: { 0: 0x9000 | P | U } },
        ),
        fault(PF_PROT | PF_WRITE | PF_USER, 0x40000c, 'bad', {
          words: { 0x37fc: 0x400010, 0x900c: 0 },
        }),
      );
    });

    it('an iret whose frame runs onto a missing page faults at the iret and changes nothing', () => {
      check(
        paged(`
        mov sp, 0x3FF8
        mov r1, 0x222
        st [0x3FF8], r1          ; the pc to return to
        st [0x3FFC], r1          ; flags
bad:    iret                     ; mode would be at 0x4000: page 4 is missing
`),
        fault(0, 0x4000, 'bad', { mode: 'kernel', regs: { r10: 14 } }),
      );
    });

    it('cr3 with only low bits set (0x7) turns paging on with the directory at physical 0', () => {
      // The directory is then the code itself: PDE 0 is the first word of 'mov r1, 7',
      // whose P bit is 0 in this build's encoding, so the next fetch faults, the
      // delivery faults (evt = 0 is on the same missing page), and so does #DF.
      check(
        `
_start: mov r1, 7
        mov cr3, r1
        hlt`,
        { stop: 'triple-fault', cr3: 7, pc: 12, retired: 2 },
      );
    });
  });
});
