// Guests the demo and the benchmarks run, written inline so that the numbers
// always refer to exactly this code.

/**
 * Assembly that fills the page table at 0x11000 with an identity map of the first
 * 256 KiB (kernel only: P and W, no U). Shared by the guests that build address spaces.
 */
export const KERNEL_IDENTITY_TABLE = `        mov r1, 0
.kmap:  mov r2, r1
        shl r2, 12
        or r2, 3
        mov r3, r1
        shl r3, 2
        st [r3 + 0x11000], r2
        add r1, 1
        cmp r1, 64
        jb .kmap`;

/** A compute loop of 7 instructions per iteration; the result lands in r2. */
export function computeLoopSource(iterations: number): string {
  return `
_start: mov r1, 0
        mov r2, 0
.loop:  mov r3, r1
        mul r3, r3
        xor r2, r3
        add r2, r1
        add r1, 1
        cmp r1, ${iterations}
        jb .loop
        cli
        hlt
`;
}

/** The same computation in JavaScript, for the slowdown ratio. */
export function computeLoopNative(iterations: number): number {
  let sum = 0;
  for (let i = 0; i < iterations; i++) {
    sum ^= Math.imul(i, i);
    sum = (sum + i) | 0;
  }
  return sum;
}

/**
 * A kernel that switches between two address spaces on every timer interrupt
 * (period PERIOD) while user code touches four pages: a guest that
 * context-switches often, where cached shadows (shadow-proactive) pay off.
 */
export function contextSwitchSource(switches: number, period = 200): string {
  return `
        .org 0x1000
_start: mov sp, 0x8000
        mov r1, 0x8000
        mov ksp, r1
        mov r1, vectors
        mov evt, r1
        ; two page directories (0x10000, 0x12000) sharing the kernel table 0x11000 (identity, no U)
${KERNEL_IDENTITY_TABLE}
        mov r1, 0x11000 | 3
        st [0x10000], r1
        st [0x12000], r1
        ; user windows at virtual 0x00400000: table 0x13000 -> frames 0x20000.., table 0x14000 -> 0x30000..
        mov r1, 0x13000 | 7
        st [0x10004], r1
        mov r1, 0x14000 | 7
        st [0x12004], r1
        mov r1, 0
.umap:  mov r2, r1
        shl r2, 12
        mov r3, r2
        add r2, 0x20000 | 7
        add r3, 0x30000 | 7
        mov r4, r1
        shl r4, 2
        st [r4 + 0x13000], r2
        st [r4 + 0x14000], r3
        add r1, 1
        cmp r1, 8
        jb .umap
        ; copy the user program into both code frames
        mov r1, 0
.copy:  ld r2, [r1 + user]
        st [r1 + 0x20000], r2
        st [r1 + 0x30000], r2
        add r1, 4
        cmp r1, user_end - user
        jb .copy
        mov r1, 0x10000
        mov cr3, r1
        mov r9, 0x10000          ; current directory
        mov r10, 0               ; switches done
        mov r1, ${period}
        out 0x40, r1
        push 0x00408000
        push 1
        push 0x200
        push 0x00400000
        iret

timer:  add r10, 1
        cmp r10, ${switches}
        jae .done
        xor r9, 0x2000           ; the other address space
        mov cr3, r9
        add sp, 8
        iret
.done:  cli
        hlt

vectors:
        .space 32*4
        .word timer

user:   mov r1, 0x00401000       ; touch four data pages, forever
.u:     ld r2, [r1]
        add r2, 1
        st [r1], r2
        add r1, 0x1000
        cmp r1, 0x00405000
        jb .u - user + 0x00400000
        mov r1, 0x00401000
        jmp .u - user + 0x00400000
user_end:
`;
}

/**
 * A memory-heavy loop of 10 instructions per iteration, one load and one store
 * to a 1 KiB buffer on its own page, paging off: under a shadow every access
 * goes through the soft MMU, on bare hardware none does. The result lands in r2.
 */
export function memoryLoopSource(iterations: number): string {
  return `
_start: mov r1, 0
        mov r2, 0
        mov r4, 0
.loop:  ld r3, [r4 + buffer]
        add r3, r1
        st [r4 + buffer], r3
        xor r2, r3
        add r2, r1
        add r4, 4
        and r4, 0x3fc
        add r1, 1
        cmp r1, ${iterations}
        jb .loop
        cli
        hlt

        .org 0x4000
buffer: .space 1024
`;
}

/** The same computation in JavaScript, to check the guest's result. */
export function memoryLoopNative(iterations: number): number {
  const buffer = new Int32Array(256);
  let sum = 0;
  for (let i = 0; i < iterations; i++) {
    const slot = i & 255;
    const value = (buffer[slot] + i) | 0;
    buffer[slot] = value;
    sum = ((sum ^ value) + i) | 0;
  }
  return sum;
}
