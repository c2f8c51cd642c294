// Micro-benchmark guests for the classic comparison of software and hardware
// virtualization (in the style of Adams & Agesen, ASPLOS 2006): each guest
// repeats one operation N times and ends with `cli; hlt`, so that the cost of
// one operation is (run with N) - (run with the baseline count), divided by the
// difference. Written inline so that the numbers always refer to this code.
//
// Registers every guest leaves behind: r10 = operations done (N). The paging
// guests also count in r12 (page faults taken, or PTE writes) or sum what they
// read in r5, so that a run that skipped work shows in its final registers.

import { SystemOptions } from '../src/hypervisor/system';
import { computeLoopSource, KERNEL_IDENTITY_TABLE } from './guests';

export type MicroSetting = Pick<SystemOptions, 'virtualization' | 'paging' | 'kernelShadows'>;

export interface MicroColumn {
  /** Column heading. */
  title: string;
  setting: MicroSetting;
  /** Run the operation's paravirtualized variant here, when it has one. */
  isParavirtual: boolean;
}

/** The table's columns: bare hardware, then each way of virtualizing it. */
export const MICRO_COLUMNS: readonly MicroColumn[] = [
  { title: 'none', setting: { virtualization: 'none' }, isParavirtual: false },
  { title: 'trap-and-emulate', setting: { virtualization: 'trap-and-emulate', paging: 'shadow-on-demand', kernelShadows: 'separate' }, isParavirtual: false },
  { title: 'paravirtual', setting: { virtualization: 'paravirtual', paging: 'shadow-on-demand', kernelShadows: 'separate' }, isParavirtual: true },
  { title: 'binary-transl.', setting: { virtualization: 'binary-translation', paging: 'shadow-on-demand', kernelShadows: 'separate' }, isParavirtual: false },
  { title: 'hw-assist/shadow', setting: { virtualization: 'hardware-assist', paging: 'shadow-on-demand' }, isParavirtual: false },
  { title: 'hw-assist/nested', setting: { virtualization: 'hardware-assist', paging: 'nested' }, isParavirtual: false },
];

export interface MicroOperation {
  /** Row heading. */
  name: string;
  /** The guest that performs the operation n times (n >= baseline). */
  source(n: number): string;
  /** The paravirtualized variant (uses `vmcall`; runs only under `paravirtual`). */
  pvSource?(n: number): string;
  /** The count whose run is subtracted: 0, or 1 for a loop that always runs once. */
  baseline: number;
  /** The count the table uses. */
  count: number;
}

// ---------------------------------------------------------------- 1. system call

/**
 * The kernel (paging off) enters user mode with an iret frame; user code makes
 * n system calls, whose handler only returns (`add sp, 8; iret`), then runs
 * `hlt`, which in user mode is a protection fault: that handler ends the run.
 */
export function syscallSource(n: number): string {
  return `
        .org 0x1000
_start: mov sp, 0x8000
        mov r1, 0x8000
        mov ksp, r1
        mov r1, vectors
        mov evt, r1
        push 0x7000              ; user sp
        push 1                   ; user mode
        push 0                   ; flags (IF off)
        push user                ; pc
        iret

sys:    add sp, 8
        iret
gp:     cli                      ; the user's hlt: end of the run
        hlt

        .align 4
vectors:
        .space 13*4
        .word gp
        .space (48-14)*4
        .word sys

user:   mov r10, 0
.loop:  cmp r10, ${n}
        jae .done
        syscall
        add r10, 1
        jmp .loop
.done:  hlt
`;
}

// ---------------------------------------------------------------- 2. port I/O

/** The kernel (paging off) reads the keyboard status port n times. */
export function portIoSource(n: number): string {
  return `
_start: mov r10, 0
        mov r5, 0
.loop:  cmp r10, ${n}
        jae .done
        in r1, 0x64
        add r5, r1
        add r10, 1
        jmp .loop
.done:  cli
        hlt
`;
}

// ---------------------------------------------------------------- paging guests

/**
 * Kernel prologue shared by the paging guests: kernel code at 0x1000, stack
 * below 0x8000; page directory A at 0x10000 and B at 0x13000 share the kernel
 * table 0x11000 (identity map of the first 256 KiB, kernel-only). Virtual
 * 0x00400000 is the test page: through A it is PTE 0 of table 0x12000, through
 * B PTE 0 of table 0x14000. `pteA` and `pteB` are their initial values.
 * The words at physical 0x20000 and 0x21000 hold 1 and 2. Ends with paging on
 * (cr3 = A), r11 = 0x00400000, r10 = 0.
 */
function pagingPrologue(pteA: string, pteB: string): string {
  return `
        .org 0x1000
_start: mov sp, 0x8000
        mov r1, 0x8000
        mov ksp, r1
        mov r1, vectors
        mov evt, r1
${KERNEL_IDENTITY_TABLE}
        mov r1, 0x11000 | 3
        st [0x10000], r1
        st [0x13000], r1
        mov r1, 0x12000 | 3
        st [0x10004], r1
        mov r1, 0x14000 | 3
        st [0x13004], r1
        mov r1, ${pteA}
        st [0x12000], r1
        mov r1, ${pteB}
        st [0x14000], r1
        mov r1, 1
        st [0x20000], r1
        mov r1, 2
        st [0x21000], r1
        mov r1, 0x10000
        mov cr3, r1
        mov r11, 0x00400000
        mov r10, 0
        mov r12, 0
        mov r5, 0
`;
}

const PAGING_VECTORS = `
        .align 4
vectors:
        .space 14*4
        .word pf
`;

/**
 * A loop doing `body` n times, written out at two sites (two copies of the
 * body per pass). Why two: the hypervisor gives up with "hidden page faults
 * ... do not resolve" after 65 hidden page faults at one pc with no hidden
 * fault at another pc in between, even when the guest retired instructions
 * between them (a hypervisor bug, see test/hypervisor/microGuests.test.ts),
 * and these guests take a hidden fault at the same instruction in every round
 * under some settings. With two sites the faulting pc alternates. r10 counts
 * the rounds done.
 */
function twoSiteLoop(n: number, body: string): string {
  return `
.loop:  cmp r10, ${n}
        jae .done
${body}
        add r10, 1
        cmp r10, ${n}
        jae .done
${body}
        add r10, 1
        jmp .loop
.done:  cli
        hlt
`;
}

// ---------------------------------------------------------------- 3. guest page fault

/**
 * The test page starts not present. Each round: a load from it faults, the
 * #PF handler maps it (PTE present, invlpg) and returns, the load succeeds;
 * then the kernel unmaps it again (PTE 0, invlpg). r12 counts page faults,
 * r5 sums what the loads read (1 each).
 */
export function pageFaultSource(n: number): string {
  return `${pagingPrologue('0', '0')}${twoSiteLoop(
    n,
    `
        ld r2, [r11]             ; #PF, then succeeds
        add r5, r2
        mov r3, 0
        st [0x12000], r3         ; unmap again
        invlpg r11`,
  )}
pf:     mov r4, 0x20000 | 3
        st [0x12000], r4
        ld r6, [sp]              ; the fault address
        invlpg r6
        add r12, 1
        add sp, 8
        iret
${PAGING_VECTORS}`;
}

/** The same with hypercall 10 (write PTE, which also flushes its TLB entry) for the PTE writes. */
export function pageFaultPvSource(n: number): string {
  return `${pagingPrologue('0', '0')}${twoSiteLoop(
    n,
    `
        ld r2, [r11]             ; #PF, then succeeds
        add r5, r2
        mov r1, 0x12000
        mov r2, 0
        vmcall 10                ; unmap again`,
  )}
pf:     mov r1, 0x12000
        mov r2, 0x20000 | 3
        vmcall 10
        add r12, 1
        add sp, 8
        iret
${PAGING_VECTORS}`;
}

// ---------------------------------------------------------------- 4. page-table write

/** Each round writes the test page's PTE (alternating between two frames) and flushes it with invlpg; r12 counts writes. */
export function pteWriteSource(n: number): string {
  return `${pagingPrologue('0x20000 | 3', '0')}
        mov r3, 0x20000 | 3${twoSiteLoop(
          n,
          `
        xor r3, 0x1000           ; the other frame
        st [0x12000], r3
        invlpg r11
        add r12, 1`,
        )}
pf:     cli
        hlt
${PAGING_VECTORS}`;
}

/** The same with hypercall 10 instead of `st` + `invlpg`. */
export function pteWritePvSource(n: number): string {
  return `${pagingPrologue('0x20000 | 3', '0')}
        mov r3, 0x20000 | 3${twoSiteLoop(
          n,
          `
        xor r3, 0x1000           ; the other frame
        mov r1, 0x12000
        mov r2, r3
        vmcall 10
        add r12, r0              ; r0 = PTEs written (1)`,
        )}
pf:     cli
        hlt
${PAGING_VECTORS}`;
}

// ---------------------------------------------------------------- 5. context switch

/**
 * Each round loads cr3 with the other page directory and reads the test page,
 * which maps frame 0x20000 (word 1) in A and 0x21000 (word 2) in B; r5 sums what it read.
 */
export function contextSwitchMicroSource(n: number): string {
  return `${pagingPrologue('0x20000 | 3', '0x21000 | 3')}
        mov r9, 0x10000${twoSiteLoop(
          n,
          `
        xor r9, 0x10000 ^ 0x13000
        mov cr3, r9
        ld r2, [r11]
        add r5, r2`,
        )}
pf:     cli
        hlt
${PAGING_VECTORS}`;
}

/** The same with hypercall 3 (set cr3) instead of `mov cr3`. */
export function contextSwitchMicroPvSource(n: number): string {
  return `${pagingPrologue('0x20000 | 3', '0x21000 | 3')}
        mov r9, 0x10000${twoSiteLoop(
          n,
          `
        xor r9, 0x10000 ^ 0x13000
        mov r1, r9
        vmcall 3
        ld r2, [r11]
        add r5, r2`,
        )}
pf:     cli
        hlt
${PAGING_VECTORS}`;
}

// ---------------------------------------------------------------- 6. TLB miss

/**
 * A working set twice the TLB's size (32 pages of the kernel's identity map,
 * 16 entries by default): each round loads from the next page, so with LRU
 * replacement every load misses the TLB and walks. A first pass over the pages
 * (in every run, the baseline too) fills the shadows, so that what is left per
 * round is the walk: one-dimensional through a shadow, two-dimensional nested.
 * r5 sums what the loads read.
 */
export function tlbMissSource(n: number): string {
  return `${pagingPrologue('0x20000 | 3', '0')}
        mov r6, 0x20000
.warm:  ld r2, [r6]
        add r6, 0x1000
        cmp r6, 0x40000
        jb .warm
        mov r6, 0x20000
.loop:  cmp r10, ${n}
        jae .done
        ld r2, [r6]
        add r5, r2
        add r6, 0x1000
        cmp r6, 0x40000
        jb .next
        mov r6, 0x20000
.next:  add r10, 1
        jmp .loop
.done:  cli
        hlt
pf:     cli
        hlt
${PAGING_VECTORS}`;
}

// ---------------------------------------------------------------- the rows

export const MICRO_OPERATIONS: readonly MicroOperation[] = [
  { name: 'system call', source: syscallSource, baseline: 0, count: 2000 },
  { name: 'port I/O (in)', source: portIoSource, baseline: 0, count: 2000 },
  { name: 'guest page fault', source: pageFaultSource, pvSource: pageFaultPvSource, baseline: 0, count: 2000 },
  { name: 'page-table write', source: pteWriteSource, pvSource: pteWritePvSource, baseline: 0, count: 2000 },
  { name: 'context switch (cr3)', source: contextSwitchMicroSource, pvSource: contextSwitchMicroPvSource, baseline: 0, count: 2000 },
  { name: 'TLB-missing load', source: tlbMissSource, baseline: 0, count: 2000 },
  // computeLoopSource always runs its loop at least once: subtract the 1-iteration run.
  { name: 'compute loop iteration', source: computeLoopSource, baseline: 1, count: 20000 },
];

/** The guest source a column runs for an operation. */
export function microSource(op: MicroOperation, column: MicroColumn, n: number): string {
  return column.isParavirtual && op.pvSource ? op.pvSource(n) : op.source(n);
}
