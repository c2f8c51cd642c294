// What the CPU would load at a guest-virtual address now, which is not always
// what the guest's page table says: the TLB keeps a translation until `invlpg`
// or a cr3 load, and a shadow page table (under the hypervisor) is a cache of
// the guest's table refreshed the same way. So a PTE changed without `invlpg`
// leaves the CPU reading the old frame. The debugger reads through the TLB when
// it holds the page, else through the active shadow, else through the guest's
// table and the hypervisor map (what a miss walks and fills), and says when
// that differs from the guest table's answer: the lesson of a stale entry.

import { hexWord } from '../machine/format';
import type { Target } from './target';

export type TranslationSource = 'TLB' | 'shadow' | 'table';

export interface CpuTranslation {
  /** Where the CPU's translation comes from now. */
  source: TranslationSource;
  /** Machine address the CPU would access (physical on bare hardware); undefined: not RAM or not mapped. */
  ma: number | undefined;
  /** Machine address the guest's page table and the hypervisor map give. */
  tableMa: number | undefined;
}

/** Machine address of `va` through the guest's page table and the hypervisor map, or undefined. */
export function tableMachineAddress(target: Target, g: number, va: number): number | undefined {
  const gpa = target.toPhysical(g, va);
  if (gpa === undefined) return undefined;
  const memory = target.memory(g);
  return memory.isRam(gpa) ? memory.toMachine(gpa) >>> 0 : undefined;
}

/** The machine frame the TLB holds for `va`'s page, when guest g runs on the CPU with paging on. */
export function tlbFrame(target: Target, g: number, va: number): { entry: number; frame: number } | undefined {
  const cpu = target.cpu;
  if (target.currentGuest() !== g || cpu.isPhysical) return undefined;
  const entry = cpu.tlb.find(va >>> 12);
  return entry < 0 ? undefined : { entry, frame: (cpu.tlb.frame[entry] & ~0xfff) >>> 0 };
}

/** The machine frame the active shadow page table maps `va`'s page to (shadow paging only). */
export function shadowFrame(target: Target, g: number, va: number): { frame: number; isWritable: boolean } | undefined {
  const guest = target.guestObject(g);
  if (!guest || target.hv!.isNested) return undefined;
  // The active shadow depends on the guest's pretend mode (synchronised from the CPU under hardware assist).
  target.isUser(g);
  const entry = guest.shadow.active().lookup((va & ~0xfff) >>> 0);
  return entry ? { frame: (entry.ma & ~0xfff) >>> 0, isWritable: entry.isWritable } : undefined;
}

export function cpuTranslation(target: Target, g: number, va: number): CpuTranslation {
  va >>>= 0;
  const tableMa = tableMachineAddress(target, g, va);
  const offset = va & 0xfff;
  const tlb = tlbFrame(target, g, va);
  if (tlb) return { source: 'TLB', ma: (tlb.frame | offset) >>> 0, tableMa };
  const shadow = shadowFrame(target, g, va);
  if (shadow) return { source: 'shadow', ma: (shadow.frame | offset) >>> 0, tableMa };
  return { source: 'table', ma: tableMa, tableMa };
}

/** A read whose CPU answer differs from the guest table's. */
export interface StaleRead {
  va: number;
  source: TranslationSource;
  ma: number;
  value: number;
  tableMa: number | undefined;
  tableValue: number | undefined;
}

/**
 * Reads `size` bytes at `va` as the CPU would load them. `onStale` hears of a
 * read through a TLB or shadow entry that the guest's table no longer agrees with.
 */
export function readAsCpu(target: Target, g: number, va: number, size: 1 | 4, onStale?: (read: StaleRead) => void): number | undefined {
  const translation = cpuTranslation(target, g, va);
  const memory = target.machineMemory;
  const isStale = translation.source !== 'table' && translation.ma !== translation.tableMa;
  if (!isStale || translation.ma === undefined || !memory.contains(translation.ma, size)) return target.readWord('gva', g, va, size);
  // Both addresses lie in one page unless the read crosses it; a crossing read takes each byte's own translation.
  let value = 0;
  for (let i = 0; i < size; i++) {
    const byteTranslation = i === 0 ? translation : cpuTranslation(target, g, (va + i) >>> 0);
    const ma = byteTranslation.ma;
    if (ma === undefined || !memory.contains(ma)) return undefined;
    value |= memory.bytes[ma] << (8 * i);
  }
  value >>>= 0;
  onStale?.({ va: va >>> 0, source: translation.source, ma: translation.ma, value, tableMa: translation.tableMa, tableValue: target.readWord('gva', g, va, size) });
  return value;
}

/** One sentence on a stale read, for the debug console. */
export function describeStaleRead(read: StaleRead, isBare: boolean): string {
  const space = isBare ? 'physical' : 'machine';
  const table =
    read.tableMa === undefined
      ? 'the guest page table no longer maps it'
      : `the guest page table${isBare ? ' now gives' : ' and the hypervisor map now give'} ${space} ${hexWord(read.tableMa)}, which holds ${hexWord(read.tableValue ?? 0)}`;
  return `[${hexWord(read.va)}] is what the CPU loads, through a stale ${read.source} entry (${space} ${hexWord(read.ma)}); ${table}. A PTE changed without invlpg: the ${read.source} keeps the old translation until invlpg or a cr3 load.`;
}
