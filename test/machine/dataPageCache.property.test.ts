// The cached data-page translations (the last load's and the last store's TLB
// entry) must be invisible: random kernel and user code that loads, stores,
// rewrites its PTEs, flushes with invlpg and cr3 loads and takes page faults
// leaves exactly the state that looking the TLB up on every access leaves —
// registers, memory (A and D bits included), every TLB entry, the LRU clock
// and the hit and miss counts.

import * as assert from 'assert';
import fc from 'fast-check';
import { Cpu } from '../../src/machine/cpu';
import { load } from './check';

const P = 1,
  W = 2,
  U = 4,
  A = 0x20,
  D = 0x40;
const FRAMES = [0x7000, 0x8000, 0x9000, 0xa000, 0xb000, 0xc000];

/**
 * Page 0 holds the page table (PTEs 4-7 change), the code and the first stack;
 * page 3 is kernel-only and holds the stack faults from user mode are delivered
 * on, so the handler leaves it cached for the user code it returns to; pages 3-7
 * are data.
 */
function programSource(kernelOps: string[], userOps: string[]): string {
  return `
        .org 0
        .word 0x0007, 0, 0, 0x3003, 0x8007, 0x9007, 0xA007, 0x7007
        .org 0x800
_start: mov sp, 0x3F0
        mov r1, 0x3400
        mov ksp, r1
        mov r1, vectors
        mov evt, r1
        mov r1, 0x1000
        mov cr3, r1
${kernelOps.join('\n')}
        push 0x3A0
        push 1
        push 0
        push user
        iret
user:
${userOps.join('\n')}
        syscall
sys:    hlt
on_pf:  add r10, 1               ; skip the faulting instruction (every access here is 8 bytes)
        add sp, 8
        ld r13, [sp]
        add r13, 8
        st [sp], r13
        iret
other:  mov r11, 0xBAD
        hlt
        .align 4
vectors: .word other, other, other, other, other, other, other, other, other, other, other, other, other, other, on_pf
        .space (48-15)*4
        .word sys
        .org 0x1000
        .word 0x0007
        .org 0x7000
        .word 0x7777
        .org 0x8000
        .word 0x8888
        .org 0x9000
        .word 0x9999
        .org 0xA000
        .word 0xAAAA
        .org 0xB000
        .word 0xBBBB
        .org 0xC000
        .word 0xCCCC
`;
}

const reg = fc.constantFrom('r2', 'r3', 'r4', 'r5', 'r6');
const address = fc.tuple(fc.constantFrom(3, 4, 5, 6, 7), fc.constantFrom(0, 4, 0x10, 0xffc, 0xffd, 0xfff)).map(([page, offset]) => `0x${(page * 0x1000 + offset).toString(16)}`);
const pteWrite = fc
  .tuple(fc.constantFrom(4, 5, 6, 7), fc.constantFrom(...FRAMES), fc.constantFrom(P | W | U, P | W | U, P | U, P | W, P | W | U | A | D, 0))
  .map(([index, frame, bits]) => `mov r1, 0x${(frame | bits).toString(16)}\n        st [0x${(index * 4).toString(16)}], r1`);
const access = fc.oneof(
  fc.tuple(reg, address).map(([r, a]) => `ld ${r}, [${a}]`),
  fc.tuple(reg, address).map(([r, a]) => `ldb ${r}, [${a}]`),
  fc.tuple(reg, address).map(([r, a]) => `st [${a}], ${r}`),
  fc.tuple(reg, address).map(([r, a]) => `stb [${a}], ${r}`),
  fc.tuple(reg).map(([r]) => `add ${r}, 0x111`),
);
const userOp = fc.oneof({ weight: 6, arbitrary: access }, { weight: 1, arbitrary: pteWrite });
const kernelOp = fc.oneof(
  { weight: 6, arbitrary: access },
  { weight: 1, arbitrary: pteWrite },
  { weight: 1, arbitrary: fc.constantFrom(4, 5, 6, 7).map((page) => `mov r1, 0x${(page * 0x1000 + 0x20).toString(16)}\n        invlpg r1`) },
  { weight: 1, arbitrary: fc.constant('mov r1, cr3\n        mov cr3, r1') },
);

interface CacheSpy {
  hits: number;
  fills: number;
}

/** The CPU with its data-page cache never filled (every access looks the TLB up), or spied on. */
function instrument(cpu: Cpu, isCacheOff: boolean, spy: CacheSpy): void {
  const inner = cpu as unknown as { cacheRead(va: number): void; cacheWrite(va: number): void; useDataEntry(entry: number): void };
  const cacheRead = inner.cacheRead.bind(cpu);
  const cacheWrite = inner.cacheWrite.bind(cpu);
  const useDataEntry = inner.useDataEntry.bind(cpu);
  inner.cacheRead = isCacheOff
    ? () => undefined
    : (va) => {
        spy.fills++;
        cacheRead(va);
      };
  inner.cacheWrite = isCacheOff
    ? () => undefined
    : (va) => {
        spy.fills++;
        cacheWrite(va);
      };
  inner.useDataEntry = (entry) => {
    spy.hits++;
    useDataEntry(entry);
  };
}

function runOnce(source: string, tlbEntries: number, isCacheOff: boolean, spy: CacheSpy) {
  const { machine } = load(source, { tlbEntries, maxInstructions: 5000 });
  instrument(machine.cpu, isCacheOff, spy);
  const result = machine.run();
  const cpu = machine.cpu;
  const tlb = cpu.tlb;
  return {
    reason: result.reason,
    regs: [...cpu.regs],
    pc: cpu.pc,
    mode: cpu.mode,
    ticks: cpu.ticks,
    memory: Buffer.from(machine.memory.bytes.subarray(0, 0xd000)).toString('hex'),
    tlb: { vpn: [...tlb.vpn], frame: [...tlb.frame], bits: [...tlb.bits], lastUse: [...tlb.lastUse], clock: tlb.clock, hits: tlb.hits, misses: tlb.misses },
  };
}

describe('CPU: the cached data-page translations are invisible (fast-check)', () => {
  it('random loads, stores, PTE rewrites, invlpg, cr3 loads and faults in both modes leave the state a TLB look-up per access leaves', () => {
    const spy: CacheSpy = { hits: 0, fills: 0 };
    let runsWithFaults = 0;
    fc.assert(
      fc.property(fc.array(kernelOp, { minLength: 1, maxLength: 30 }), fc.array(userOp, { maxLength: 30 }), fc.constantFrom(0, 1, 2, 3, 16), (kernelOps, userOps, tlbEntries) => {
        const source = programSource(kernelOps, userOps);
        const cached = runOnce(source, tlbEntries, false, spy);
        const reference = runOnce(source, tlbEntries, true, { hits: 0, fills: 0 });
        assert.deepStrictEqual(cached, reference);
        if (cached.regs[10] > 0) runsWithFaults++;
      }),
      { numRuns: 300 },
    );
    // The property reached what it is about: accesses through the cache, and refills after invalidations.
    assert.ok(spy.hits > 1000, `only ${spy.hits} accesses went through the cached page`);
    assert.ok(spy.fills > 1000, `only ${spy.fills} cache fills`);
    assert.ok(runsWithFaults > 10, `only ${runsWithFaults} runs took page faults`);
  });
});
