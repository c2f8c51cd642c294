// Devices and time (g32-isa.md §4, §6, §8): the memory-mapped console, the
// keyboard queue and its interrupt, the interval timer and exactly when it
// fires, unknown ports, hlt, and when pending interrupts are taken.

import { check, IF, vectorTable } from './check';

const SETUP = `
        mov sp, 0x8000
        mov r1, vectors
        mov evt, r1`;

/**
 * Handlers that append the vector number and the saved pc to a log at 0x9000
 * (r8 = next slot), then return. The timer handler stops the timer first, so a
 * short period cannot starve the code under test.
 */
const LOGGING_HANDLERS = `
on_timer: mov r0, 0
        out 0x40, r0
        mov r0, 32
        jmp log
on_kbd: mov r0, 33
log:    st [r8], r0
        ld r0, [sp + 8]
        st [r8 + 4], r0
        add r8, 8
        mov r0, 0
        add sp, 8
        iret
other:  mov r10, 0xBAD
        hlt
${vectorTable({ 32: 'on_timer', 33: 'on_kbd' }, 'other')}`;

describe('machine: devices', () => {
  describe('console (physical page 0xFFFF0000)', () => {
    it('the low byte of a word or byte store to 0xFFFF0000 is printed once', () => {
      check(
        `
_start: mov r1, 0x12345648
        st [0xFFFF0000], r1
        mov r1, 0x169
        stb [0xFFFF0000], r1
        mov r2, 0xFFFF0000
        mov r1, 10
        st [r2], r1
        hlt`,
        { stop: 'halted', console: 'Hi\n' },
      );
    });

    it('every byte value goes out unchanged (no encoding)', () => {
      check(
        `
_start: mov r1, 0
.next:  stb [0xFFFF0000], r1
        add r1, 1
        cmp r1, 256
        jne .next
        hlt`,
        { console: Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString('latin1') },
      );
    });

    it('the word at 0xFFFF0004 reads 1; the rest of the page reads 0', () => {
      check(
        `
_start: ld r1, [0xFFFF0004]
        ldb r2, [0xFFFF0004]
        ldb r3, [0xFFFF0005]
        ld r4, [0xFFFF0000]
        ld r5, [0xFFFF0008]
        ld r6, [0xFFFF0FFC]
        ld r7, [0xFFFF0002]      ; bytes 2–5: the 1 is byte 2 of the value
        ld r8, [0xFFFF0001]
        ldb r9, [0xFFFF0000]
        hlt`,
        { stop: 'halted', regs: { r1: 1, r2: 1, r3: 0, r4: 0, r5: 0, r6: 0, r7: 0x00010000, r8: 0x01000000, r9: 0 } },
      );
    });

    it('stores to the rest of the page are ignored and print nothing (0xFFFF0004 still reads 1)', () => {
      check(
        `
_start: mov r1, 0x41414141
        st [0xFFFF0004], r1
        st [0xFFFF0001], r1
        stb [0xFFFF0003], r1
        st [0xFFFF0FFC], r1
        ld r2, [0xFFFF0004]
        hlt`,
        { stop: 'halted', console: '', regs: { r2: 1 } },
      );
    });

    it('past the console page is a bus error', () => {
      check(
        `
_start: mov r1, 0x41
bad:    st [0xFFFF1000], r1
        hlt`,
        { stop: 'bus-error', pc: 'bad', console: '' },
      );
      check(
        `
_start: ld r1, [0xFFFEFFFC]`,
        { stop: 'bus-error', pc: 0 },
      );
    });

    it('a word store starting in the console page and running past it is a bus error and prints nothing', () => {
      check(
        `
_start: mov r1, 0x41
bad:    st [0xFFFF0FFE], r1
        hlt`,
        { stop: 'bus-error', pc: 'bad', console: '' },
      );
    });

    it('with paging off, 0xFFFFFFFE is neither RAM nor the console: a bus error', () => {
      check(
        `
_start: mov r1, 0x44332211
bad:    st [0xFFFFFFFE], r1
        hlt`,
        { stop: 'bus-error', pc: 'bad', console: '', retired: 1 },
      );
    });

    it('a virtual access that wraps past 0xFFFFFFFF continues at virtual address 0', () => {
      // Virtual page 0xFFFFF -> frame 0x5000, virtual page 0 -> frame 0x6000; the code runs at 0x7000.
      check(
        `
        .org 0x1000
        .word 0x2003
        .org 0x1FFC
        .word 0x3003
        .org 0x2000
        .word 0x6003, 0x1003, 0x2003, 0x3003, 0, 0, 0, 0x7003
        .org 0x3FFC
        .word 0x5003
        .org 0x7000
_start: mov r1, 0x1000
        mov cr3, r1
        mov r1, 0x44332211
        st [0xFFFFFFFE], r1
        ld r2, [0xFFFFFFFF]
        hlt`,
        { stop: 'halted', bytes: { 0x5ffe: 0x11, 0x5fff: 0x22, 0x6000: 0x33, 0x6001: 0x44 }, regs: { r2: 0x00443322 } },
      );
    });

    it('through paging: a virtual page mapped to the console frame prints', () => {
      check(
        `
_start: mov r1, 0x1000
        mov cr3, r1
        mov r1, 'P'
        st [0x5000], r1
        ld r2, [0x5004]
        hlt
        .org 0x1000
        .word 0x2003
        .org 0x2000
        .word 0x0003, 0x1003, 0x2003, 0, 0, 0xFFFF0003`,
        { stop: 'halted', console: 'P', regs: { r2: 1 } },
      );
    });

    it('a word store crossing from a RAM page into the console page prints the byte that lands at 0xFFFF0000', () => {
      // Virtual 0x4FFE–0x5001: bytes 0x11, 0x22 to RAM, 0x33 to 0xFFFF0000 (printed), 0x44 to 0xFFFF0001.
      check(
        `
_start: mov r1, 0x1000
        mov cr3, r1
        mov r1, 0x44332211
        st [0x4FFE], r1
        ld r2, [0x4FFE]
        hlt
        .org 0x1000
        .word 0x2003
        .org 0x2000
        .word 0x0003, 0x1003, 0x2003, 0, 0x4003, 0xFFFF0003`,
        {
          stop: 'halted',
          console: '3',
          bytes: { 0x4ffe: 0x11, 0x4fff: 0x22 },
          regs: { r2: 0x00002211 },
        },
      );
    });

    it('code fetched from the console page reads as 0: #UD', () => {
      check(
        `
_start: mov sp, 0x8000
        mov r1, vectors
        mov evt, r1
        jmp 0xFFFF0000
on_ud:  ld r10, [sp + 8]
        hlt
${vectorTable({ 6: 'on_ud' }, 'on_ud')}`,
        { stop: 'halted', regs: { r10: 0xffff0000 } },
      );
    });
  });

  describe('keyboard (ports 0x60 data, 0x64 status)', () => {
    it('status bit 0 = the queue is not empty; data takes the head, 0 when empty; values are zero-extended', () => {
      check(
        `
_start: in r1, 0x64
        in r2, 0x60
        in r3, 0x60
        in r4, 0x64
        in r5, 0x60
        in r6, 0x64
        in r7, 0x60
        hlt`,
        { stop: 'halted', regs: { r1: 1, r2: 0x41, r3: 0xff, r4: 1, r5: 0x0a, r6: 0, r7: 0 } },
        { input: 'A\xff\n' },
      );
    });

    it('with no input the status is 0 and data reads 0', () => {
      check(
        `
_start: in r1, 0x64
        in r2, 0x60
        hlt`,
        { regs: { r1: 0, r2: 0 } },
      );
    });

    it('--input bytes are literal: a backslash and n stay two bytes', () => {
      check(
        `
_start: in r1, 0x60
        in r2, 0x60
        in r3, 0x64
        hlt`,
        { regs: { r1: 0x5c, r2: 0x6e, r3: 0 } },
        { input: '\\n' },
      );
    });

    it('input at a tick joins the queue at that tick (visible to the instruction that runs at that tick)', () => {
      // Instruction k (0-based) runs at tick k. Input at tick 3 is seen by instruction 3, not 2.
      check(
        `
_start: nop
        nop
        in r1, 0x64              ; tick 2
        in r2, 0x64              ; tick 3
        in r3, 0x60
        hlt`,
        { regs: { r1: 0, r2: 1, r3: 0x7a } },
        { inputAt: [[3, 'z']] },
      );
    });

    it('several inputs queue in tick order, each in its byte order', () => {
      check(
        `
_start: nop
        nop
        nop
        nop
        in r1, 0x60
        in r2, 0x60
        in r3, 0x60
        in r4, 0x60
        in r5, 0x60
        hlt`,
        { regs: { r1: 0x61, r2: 0x62, r3: 0x63, r4: 0x64, r5: 0 } },
        {
          input: 'a',
          inputAt: [
            [3, 'cd'],
            [2, 'b'],
          ],
        },
      );
    });

    it('inputs for the same tick join the queue in the order given', () => {
      check(
        `
_start: nop
        nop
        nop
        in r1, 0x60
        in r2, 0x60
        in r3, 0x60
        hlt`,
        { regs: { r1: 0x62, r2: 0x63, r3: 0x61 } },
        {
          inputAt: [
            [2, 'b'],
            [2, 'c'],
            [3, 'a'],
          ],
        },
      );
    });

    it('writes to 0x60 and 0x64 are ignored', () => {
      check(
        `
_start: mov r1, 0x55
        out 0x60, r1
        out 0x64, r1
        in r2, 0x64
        in r3, 0x60
        hlt`,
        { regs: { r2: 1, r3: 0x71 } },
        { input: 'q' },
      );
    });

    it('interrupt 33 when a byte becomes the head of an empty queue, and again after each read that leaves the queue non-empty', () => {
      // The handler reads one byte per interrupt: "abc" gives three interrupts.
      check(
        `
_start: ${SETUP}
        mov r8, 0x9000
        sti
spin:   cmp r9, 3
        jne spin
        cli
        hlt
on_kbd: in r1, 0x60
        st [r9 + 0xA000], r1
        add r9, 1
        add sp, 8
        iret
other:  mov r10, 0xBAD
        hlt
${vectorTable({ 33: 'on_kbd' }, 'other')}`,
        { stop: 'halted', regs: { r9: 3, r10: 0 }, words: { 0xa000: 0x00636261 } },
        { input: 'abc' },
      );
    });

    it('a handler that does not read gets one interrupt only; a later byte joining a non-empty queue raises none', () => {
      check(
        `
_start: ${SETUP}
        mov r8, 0x9000
        sti
first:  mov r5, 40
.loop:  sub r5, 1
        jnz .loop
        cli
        hlt
${LOGGING_HANDLERS}`,
        { stop: 'halted', regs: { r8: 0x9008, r10: 0 }, words: { 0x9000: 33, 0x9004: 'first', 0x9008: 0 } },
        { input: 'a', inputAt: [[20, 'b']] },
      );
    });
  });

  describe('timer (port 0x40)', () => {
    // "N ticks later": the write takes effect as the out retires (tick T); the
    // interrupt becomes pending at tick T + N, so the N instructions after the out
    // run and the interrupt is taken before the (N+1)th.
    for (const n of [1, 2, 3, 7]) {
      it(`out 0x40 with N = ${n}: the interrupt is taken after exactly ${n} more instruction(s)`, () => {
        check(
          `
_start: ${SETUP}
        mov r8, 0x9000
        mov r1, ${n}
        sti
        out 0x40, r1
n0:     nop
        nop
        nop
        nop
        nop
        nop
        nop
        nop
        mov r1, 0
        out 0x40, r1
        cli
        hlt
${LOGGING_HANDLERS}`,
          {
            stop: 'halted',
            // With N = 1 the timer fires again while the handler's first instruction
            // runs (IF = 0): that second interrupt stays pending through the stop and is
            // taken right after the iret.
            words: n === 1 ? { 0x9000: 32, 0x9004: 'n0+4', 0x9008: 32, 0x900c: 'n0+4', 0x9010: 0 } : { 0x9000: 32, 0x9004: `n0+${4 * n}`, 0x9008: 0 },
          },
        );
      });
    }

    it("then every N ticks, counting every retired instruction (the handler's too)", () => {
      // out retires at tick 6; interrupts at ticks 16, 26, 36. Each is taken before
      // the instruction that would run at that tick; the handler adds to r9 first.
      const source = `
_start: ${SETUP}
        mov r1, 10
        sti
        out 0x40, r1
spin:   jmp spin
on_timer: add r9, 1
        add sp, 8
        iret
${vectorTable({ 32: 'on_timer' }, '0')}`;
      check(source, { stop: 'instruction-limit', regs: { r9: 2 }, ticks: 36 }, { maxInstructions: 36 });
      check(source, { stop: 'instruction-limit', regs: { r9: 3 }, ticks: 37 }, { maxInstructions: 37 });
      check(source, { stop: 'instruction-limit', regs: { r9: 1 }, ticks: 26 }, { maxInstructions: 26 });
      check(source, { stop: 'instruction-limit', regs: { r9: 0 }, ticks: 16 }, { maxInstructions: 16 });
      check(source, { stop: 'instruction-limit', regs: { r9: 100 } }, { maxInstructions: 1007 });
    });

    it('the timer takes all 32 bits of the value', () => {
      check(
        `
_start: ${SETUP}
        mov r1, 0x10001
        out 0x40, r1             ; retires at tick 5: fires at tick 65542
        sti
        hlt
on_timer: mov r10, 32
        hlt
${vectorTable({ 32: 'on_timer' }, '0')}`,
        { stop: 'halted', regs: { r10: 32 }, ticks: 5 + 0x10001 + 2, idleTicks: 0x10001 - 2, retired: 9 },
      );
    });

    it('writing 0 stops it: hlt with IF = 1 and nothing to come halts at once', () => {
      check(
        `
_start: ${SETUP}
        mov r1, 3
        out 0x40, r1
        mov r1, 0
        out 0x40, r1
        sti
        nop
        nop
        nop
        nop
        hlt
on_timer: mov r10, 32
        hlt
${vectorTable({ 32: 'on_timer' }, '0')}`,
        { stop: 'halted', regs: { r10: 0 }, ticks: 13, idleTicks: 0, flags: IF },
      );
    });

    it('a new write restarts the count from that write', () => {
      check(
        `
_start: ${SETUP}
        mov r8, 0x9000
        mov r1, 3
        sti
        out 0x40, r1
        nop
        out 0x40, r1             ; restart: 3 more instructions from here
n0:     nop
        nop
        nop
n3:     nop
        mov r1, 0
        out 0x40, r1
        cli
        hlt
${LOGGING_HANDLERS}`,
        { words: { 0x9000: 32, 0x9004: 'n3', 0x9008: 0 } },
      );
    });

    it('reading port 0x40 gives 0; unknown ports read 0 and ignore writes', () => {
      check(
        `
_start: mov r1, 5
        out 0x40, r1
        in r2, 0x40
        mov r3, 7
        in r3, 0x61
        mov r4, 7
        in r4, 0x160
        mov r5, 7
        in r5, 0xFFFFFFFF
        out 0x61, r1
        out 0x12345678, r1
        hlt`,
        { stop: 'halted', regs: { r2: 0, r3: 0, r4: 0, r5: 0 } },
        { input: 'x' },
      );
    });

    it('a pending interrupt stays pending (one flag per vector) while IF = 0, and after the timer is stopped', () => {
      check(
        `
_start: ${SETUP}
        mov r8, 0x9000
        mov r1, 1
        out 0x40, r1             ; fires every tick: many times while IF = 0
        nop
        nop
        nop
        mov r1, 0
        out 0x40, r1             ; stopped, but one interrupt is pending
        sti
n0:     nop
        cli
        hlt
${LOGGING_HANDLERS}`,
        { stop: 'halted', words: { 0x9000: 32, 0x9004: 'n0', 0x9008: 0 } },
      );
    });
  });

  describe('when interrupts are taken', () => {
    it('before the very next instruction after sti (no one-instruction delay)', () => {
      check(
        `
_start: ${SETUP}
        mov r8, 0x9000
        sti
n0:     nop
        cli
        hlt
${LOGGING_HANDLERS}`,
        { words: { 0x9000: 33, 0x9004: 'n0', 0x9008: 0 } },
        { input: 'k' },
      );
    });

    it('before the very next instruction after popf sets IF', () => {
      check(
        `
_start: ${SETUP}
        mov r8, 0x9000
        push 0x200
        popf
n0:     nop
        cli
        hlt
${LOGGING_HANDLERS}`,
        { words: { 0x9000: 33, 0x9004: 'n0', 0x9008: 0 } },
        { input: 'k' },
      );
    });

    it('the timer before the keyboard when both are pending; the keyboard right after the iret', () => {
      check(
        `
_start: ${SETUP}
        mov r8, 0x9000
        mov r1, 1
        out 0x40, r1
        nop
        mov r1, 0
        out 0x40, r1
        sti
n0:     nop
        cli
        hlt
${LOGGING_HANDLERS}`,
        { words: { 0x9000: 32, 0x9004: 'n0', 0x9008: 33, 0x900c: 'n0', 0x9010: 0 } },
        { input: 'k' },
      );
    });

    it('cli masks them: nothing is taken while IF = 0', () => {
      check(
        `
_start: ${SETUP}
        mov r8, 0x9000
        mov r1, 1
        out 0x40, r1
        nop
        nop
        hlt
${LOGGING_HANDLERS}`,
        { stop: 'halted', words: { 0x9000: 0 }, regs: { r8: 0x9000 } },
        { input: 'k' },
      );
    });
  });

  describe('hlt', () => {
    it('with IF = 0 halts at once, even with the timer running and input to come', () => {
      check(
        `
_start: mov r1, 5
        out 0x40, r1
        hlt
        nop`,
        { stop: 'halted', pc: 20, ticks: 3, retired: 3, idleTicks: 0 },
        { inputAt: [[10, 'x']] },
      );
    });

    it('with IF = 1 and nothing that could ever come halts at once (hlt retires)', () => {
      check(
        `
_start: sti
        hlt
        nop`,
        { stop: 'halted', pc: 8, ticks: 2, retired: 2, idleTicks: 0 },
      );
    });

    it('with IF = 1 and queued bytes whose interrupt was already taken, halts (nothing new can come)', () => {
      check(
        `
_start: ${SETUP}
        sti
        hlt
on_kbd: add r9, 1
        add sp, 8
        iret
${vectorTable({ 33: 'on_kbd' }, '0')}`,
        { stop: 'halted', regs: { r9: 1 }, ticks: 3 + 2 + 3 },
        { input: 'xy' },
      );
    });

    it('keeps waiting when an arriving byte joins a non-empty queue (no interrupt), then halts when nothing is left to come', () => {
      check(
        `
_start: ${SETUP}
        sti                      ; the interrupt for 'a' is taken right after
        hlt                      ; 'b' arrives at tick 100 behind 'a': no interrupt
on_kbd: add r9, 1
        add sp, 8
        iret
${vectorTable({ 33: 'on_kbd' }, '0')}`,
        { stop: 'halted', regs: { r9: 1 }, ticks: 100, idleTicks: 100 - 8, retired: 8, pc: 'on_kbd' },
        { input: 'a', inputAt: [[100, 'b']] },
      );
    });

    it('waits for the timer: ticks pass with no instruction, then the interrupt is taken', () => {
      check(
        `
_start: ${SETUP}
        mov r1, 50
        out 0x40, r1             ; retires at tick 5: fires at tick 55
        sti
        hlt
after:  nop
on_timer: mov r10, 32
        ld r11, [sp + 8]
        hlt
${vectorTable({ 32: 'on_timer' }, '0')}`,
        { stop: 'halted', regs: { r10: 32, r11: 'after' }, ticks: 55 + 3, retired: 7 + 3, idleTicks: 48 },
      );
    });

    it('waits for later input: the keyboard interrupt comes at the input tick', () => {
      check(
        `
_start: ${SETUP}
        sti
        hlt
after:  nop
on_kbd: in r10, 0x60
        ld r11, [sp + 8]
        hlt
${vectorTable({ 33: 'on_kbd' }, '0')}`,
        { stop: 'halted', regs: { r10: 0x21, r11: 'after' }, ticks: 1000 + 3, idleTicks: 1000 - 5 },
        { inputAt: [[1000, '!']] },
      );
    });

    it('loops of hlt with the timer: each hlt idles to the next period', () => {
      check(
        `
_start: ${SETUP}
        mov r1, 100
        out 0x40, r1             ; tick 5: fires at 105, 205, 305
        sti
again:  hlt
        cmp r9, 3
        jne again
        cli
        hlt
on_timer: add r9, 1
        add sp, 8
        iret
${vectorTable({ 32: 'on_timer' }, '0')}`,
        { stop: 'halted', regs: { r9: 3 }, ticks: 305 + 3 + 2 + 2, retired: 6 + 3 * (1 + 3 + 2) + 2, idleTicks: 105 - 7 + (205 - 111) + (305 - 211) },
      );
    });

    it('with IF = 0 halts even with a keyboard interrupt pending', () => {
      check(
        `
_start: nop
        hlt`,
        { stop: 'halted', ticks: 2, idleTicks: 0 },
        { input: 'x' },
      );
    });
  });
});
