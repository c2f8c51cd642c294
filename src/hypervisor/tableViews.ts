// The tables a student looks at, as plain data: the guest's page table, the
// hypervisor's map, the shadows and the TLB. The debugger's panels
// (debug/panel.ts) and the command line's `--show` (cli/showTables.ts) both
// build from these, so they show the same content.

import { Pte, PAGE_SIZE } from '../machine/isa';
import { Tlb, TlbBits } from '../machine/tlb';
import { GuestMemory } from './guestMemory';
import { ShadowView } from './shadow/shadowPaging';
import { VirtualSystem } from './system';

export interface GuestMapping {
  va: number;
  pa: number;
  pde: number;
  pte: number;
  /** Both levels' bits: W and U are the AND of PDE and PTE, A and D the PTE's. */
  flags: { p: boolean; w: boolean; u: boolean; a: boolean; d: boolean };
}

export interface TlbEntry {
  index: number;
  va: number;
  frame: number;
  isWritable: boolean;
  isUser: boolean;
  isDirty: boolean;
  age: number;
}

/** Present mappings of the page table at `cr3` (empty with paging off). */
export function guestMappingsOf(memory: GuestMemory, cr3: number): GuestMapping[] {
  if (cr3 === 0) return [];
  const directory = (cr3 & ~0xfff) >>> 0;
  const out: GuestMapping[] = [];
  if (!memory.isRam(directory, PAGE_SIZE)) return out;
  for (let pdi = 0; pdi < 1024; pdi++) {
    const pde = memory.read(directory + pdi * 4, 4) >>> 0;
    if ((pde & Pte.P) === 0) continue;
    const table = (pde & ~0xfff) >>> 0;
    if (!memory.isRam(table, PAGE_SIZE)) continue;
    for (let pti = 0; pti < 1024; pti++) {
      const pte = memory.read(table + pti * 4, 4) >>> 0;
      if ((pte & Pte.P) === 0) continue;
      out.push({
        va: ((pdi << 22) | (pti << 12)) >>> 0,
        pa: (pte & ~0xfff) >>> 0,
        pde,
        pte,
        flags: { p: true, w: (pde & pte & Pte.W) !== 0, u: (pde & pte & Pte.U) !== 0, a: (pte & Pte.A) !== 0, d: (pte & Pte.D) !== 0 },
      });
    }
  }
  return out;
}

/** Guest-physical frame -> machine frame for every frame of guest RAM (identity on bare hardware). */
export function hypervisorMapOf(memory: GuestMemory): Array<{ gpa: number; ma: number }> {
  const map: Array<{ gpa: number; ma: number }> = [];
  for (let gpa = 0; gpa < memory.size; gpa += PAGE_SIZE) map.push({ gpa, ma: memory.toMachine(gpa) });
  return map;
}

/** Valid TLB entries, most recently used first. */
export function tlbEntriesOf(tlb: Tlb): TlbEntry[] {
  const out: TlbEntry[] = [];
  for (let i = 0; i < tlb.nEntries; i++) {
    if (tlb.vpn[i] === -1) continue;
    const bits = tlb.bits[i];
    out.push({
      index: i,
      va: (tlb.vpn[i] << 12) >>> 0,
      frame: tlb.frame[i] >>> 0,
      isWritable: (bits & TlbBits.W) !== 0,
      isUser: (bits & TlbBits.U) !== 0,
      isDirty: (bits & TlbBits.D) !== 0,
      age: Math.max(0, tlb.clock - tlb.lastUse[i]),
    });
  }
  return out.sort((a, b) => a.age - b.age);
}

/** Every shadow of a guest (none on bare hardware). */
export function shadowsOf(system: VirtualSystem, g: number): ShadowView[] {
  return system.hypervisor?.guests[g].shadow.views() ?? [];
}
