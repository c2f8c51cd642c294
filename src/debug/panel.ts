// Builds the panels' view model (protocol/panelMessages.ts) from the runtime at
// a stop: page tables (guest, hypervisor map, shadows), TLB, timeline, costs.
// Plain JSON out, never simulator objects. Cheap: only present entries are
// listed, and the only scan is the guest's own page-table walk.

import { Pte } from '../machine/isa';
import { TlbBits } from '../machine/tlb';
import {
  CostsView, GuestMappingView, PanelSnapshot, PageTablesView, ShadowTableView, TimelineEntry, TlbEntryView, TranslationCacheView, WalkView,
} from '../protocol/panelMessages';
import { formatInstr } from '../machine/format';
import { CostComparisons } from './comparisons';
import { hex8 } from './evaluate';
import { guestMappingsOf, hypervisorMapOf, tlbEntriesOf } from '../hypervisor/tableViews';
import { DebugRuntime } from './runtime';

/** Remembers what the previous snapshot showed, to mark entries changed since. */
export class PanelState {
  private previousGuest = new Map<number, Map<number, number>>();
  private previousShadow = new Map<string, Map<number, number>>();
  lastFlush: { reason: string; ticks: number; page?: number } | undefined;

  snapshot(runtime: DebugRuntime, guest: number, comparisons: CostComparisons | undefined): PanelSnapshot {
    const target = runtime.target;
    const g = Math.min(Math.max(0, guest), runtime.guestCount - 1);
    const cpu = target.cpu;
    const timeline = runtime.timelineEntries();
    const lastFlush = [...timeline].reverse().find((t) => t.kind === 'tlb-flush' || t.kind === 'cr3-load');
    return {
      version: 1,
      setting: runtime.setting,
      stopDescription: runtime.lastStop?.description ?? (runtime.exited ? 'the run has ended' : 'running'),
      guest: {
        id: g, name: target.name(g), pc: target.pc(g), isPretendUser: target.isUser(g), virtualIF: target.virtualIF(g),
        cr3: target.cr3(g), evt: target.evt(g), ksp: target.ksp(g), realCr3: cpu.cr3 >>> 0, isRealUser: cpu.isUser, ticks: target.ticks(g),
      },
      pageTables: this.pageTables(runtime, g),
      tlb: {
        nEntries: cpu.tlb.nEntries,
        entries: tlbEntries(runtime),
        hits: cpu.tlb.hits,
        misses: cpu.tlb.misses,
        lastFlush: lastFlush ? { reason: lastFlush.description, ticks: lastFlush.ticks } : undefined,
      },
      timeline: timeline.map((t): TimelineEntry => {
        const location = t.gpa !== undefined ? runtime.lineMaps[t.guest]?.lookup(t.gpa) : undefined;
        return { seq: t.seq, kind: t.kind, guest: t.guest, pc: t.pc, instruction: t.instruction, description: t.description, ticks: t.ticks, source: location ? { path: location.file, line: location.line } : undefined };
      }),
      costs: costs(runtime, comparisons),
      translationCache: translationCache(runtime, g),
    };
  }

  private pageTables(runtime: DebugRuntime, g: number): PageTablesView {
    const target = runtime.target;
    const previous = this.previousGuest.get(g) ?? new Map<number, number>();
    const now = new Map<number, number>();
    const guest: GuestMappingView[] = guestMappings(runtime, g).map((m) => {
      now.set(m.va, m.pte);
      return { ...m, isChanged: previous.get(m.va) !== m.pte };
    });
    this.previousGuest.set(g, now);
    const hypervisorMap = hypervisorMapOf(target.memory(g));
    const shadows: ShadowTableView[] = [];
    const hvGuest = target.guestObject(g);
    if (hvGuest) {
      for (const view of hvGuest.shadow.views()) {
        const key = `${g}:${view.guestDirectory}:${view.variant}`;
        const before = this.previousShadow.get(key) ?? new Map<number, number>();
        const after = new Map<number, number>();
        shadows.push({
          guestDirectory: view.guestDirectory, variant: view.variant, isActive: view.isActive,
          entries: view.entries.map((e) => {
            const code = e.ma * 2 + (e.isWritable ? 1 : 0);
            after.set(e.gva, code);
            return { va: e.gva >>> 0, ma: e.ma >>> 0, isWritable: e.isWritable, isChanged: before.get(e.gva) !== code };
          }),
        });
        this.previousShadow.set(key, after);
      }
    }
    return { guest, hypervisorMap, shadows, highlightVa: runtime.lastStop?.highlightVa };
  }
}

/** Present mappings of guest g's page table (empty with paging off). */
export function guestMappings(runtime: DebugRuntime, g: number): Array<Omit<GuestMappingView, 'isChanged'>> {
  return guestMappingsOf(runtime.target.memory(g), runtime.target.cr3(g));
}

function tlbEntries(runtime: DebugRuntime): TlbEntryView[] {
  return tlbEntriesOf(runtime.target.cpu.tlb);
}

function costs(runtime: DebugRuntime, comparisons: CostComparisons | undefined): CostsView {
  const system = runtime.system;
  return {
    setting: system.settingName,
    rows: system.costRows().map(([label, value]) => ({ label, value })),
    estimatedCycles: system.estimatedCycles(),
    comparisons: comparisons?.results() ?? [],
  };
}

/** Under binary translation: every cached block, its guest instructions and the JavaScript it became. */
function translationCache(runtime: DebugRuntime, g: number): TranslationCacheView | undefined {
  const guest = runtime.target.hv?.guests[g];
  const translator = guest?.translator;
  if (!guest || !translator) return undefined;
  const cache = translator.cache;
  return {
    blocks: cache.blocks().map((block) => ({
      guestAddress: block.gva >>> 0,
      isPretendUser: false,
      guestInstructions: block.instrs.map(({ pc, instr }) => `${hex8(pc)}  ${formatInstr(instr)}`),
      generatedCode: block.source,
      executions: block.executions,
      chainedTo: [block.chainTarget, block.chainNext].filter((b) => b !== undefined && block.chainGeneration === cache.generation).map((b) => b!.gva >>> 0),
    })),
    hits: guest.counters.translationCacheHits,
    misses: guest.counters.translations,
    invalidations: guest.counters.translationInvalidations,
  };
}

export function flagsText(bits: number): string {
  return ['P', 'W', 'U', 'A', 'D'].filter((_, i) => (bits & [Pte.P, Pte.W, Pte.U, Pte.A, Pte.D][i]) !== 0).join(' ') || '-';
}

/** One address through the guest page table, the hypervisor map, the shadow and the TLB. */
export function walkView(runtime: DebugRuntime, g: number, va: number): WalkView {
  const target = runtime.target;
  va >>>= 0;
  const steps: WalkView['steps'] = [];
  const cr3 = target.cr3(g);
  const walk = target.walk(g, va);
  let gpa: number | undefined;
  if (cr3 === 0) {
    gpa = va;
    steps.push({ table: 'guest', text: `paging is off (guest cr3 = 0): guest-physical ${hex8(va)}`, isOk: true });
  } else if (walk.gpa < 0) {
    const pdeText = `PDE[${va >>> 22}] = ${hex8(walk.pde)} (${flagsText(walk.pde)})`;
    const pteText = (walk.pde & Pte.P) !== 0 ? `, PTE[${(va >>> 12) & 0x3ff}] = ${hex8(walk.pte)} (${flagsText(walk.pte)})` : '';
    steps.push({ table: 'guest', text: `guest table at ${hex8(cr3)}: ${pdeText}${pteText}: ${walk.gpa === -2 ? 'bus error' : 'not mapped'}`, isOk: false });
  } else {
    gpa = walk.gpa;
    steps.push({ table: 'guest', text: `guest table at ${hex8(cr3)}: PDE[${va >>> 22}] = ${hex8(walk.pde)} (${flagsText(walk.pde)}), PTE[${(va >>> 12) & 0x3ff}] = ${hex8(walk.pte)} (${flagsText(walk.pte)}) -> guest-physical ${hex8(walk.gpa)}`, isOk: true });
  }
  if (gpa !== undefined) {
    const memory = target.memory(g);
    if (memory.isRam(gpa)) {
      steps.push({ table: 'hypervisor-map', text: target.hv ? `hypervisor map: guest frame ${hex8(gpa & ~0xfff)} -> machine frame ${hex8(memory.toMachine(gpa & ~0xfff))}: machine ${hex8(memory.toMachine(gpa))}` : `bare hardware: physical = machine ${hex8(gpa)}`, isOk: true });
    } else {
      steps.push({ table: 'hypervisor-map', text: `${hex8(gpa)} is ${(gpa >>> 12) === 0xffff0 ? 'the console device page' : 'outside guest RAM'}`, isOk: (gpa >>> 12) === 0xffff0 });
    }
  }
  const hvGuest = target.guestObject(g);
  if (hvGuest) {
    const active = hvGuest.shadow.views().find((v) => v.isActive);
    const entry = active?.entries.find((e) => (e.gva >>> 12) === (va >>> 12));
    steps.push(entry
      ? { table: 'shadow', text: `active shadow: ${hex8(va & ~0xfff)} -> machine ${hex8(entry.ma)}${entry.isWritable ? ' (writable)' : ' (read-only)'}`, isOk: true }
      : { table: 'shadow', text: `active shadow has no entry for ${hex8(va & ~0xfff)}: the next access takes a hidden page fault`, isOk: false });
  }
  const tlb = target.cpu.tlb;
  const isCurrent = target.currentGuest() === g;
  const entryIndex = isCurrent ? tlb.find(va >>> 12) : -1;
  steps.push(entryIndex >= 0
    ? { table: 'tlb', text: `TLB entry ${entryIndex}: ${hex8(va & ~0xfff)} -> ${hex8(tlb.frame[entryIndex])} (${(tlb.bits[entryIndex] & TlbBits.W) ? 'W' : ''}${(tlb.bits[entryIndex] & TlbBits.U) ? 'U' : ''}${(tlb.bits[entryIndex] & TlbBits.D) ? 'D' : ''})`, isOk: true }
    : { table: 'tlb', text: isCurrent ? `not in the TLB (${tlb.nEntries} entries)` : 'the TLB holds another guest\'s translations now', isOk: false });
  return { va, steps };
}
