// Builds the panels' view model (protocol/panelMessages.ts) from the runtime at
// a stop: page tables (guest, hypervisor map, shadows), TLB, timeline, costs.
// Plain JSON out, never simulator objects. Cheap: only present entries are
// listed, and the only scan is the guest's own page-table walk.

import { Pte } from '../machine/isa';
import { TlbBits } from '../machine/tlb';
import { CostsView, GuestMappingView, PanelSnapshot, PageTablesView, ShadowMappingView, ShadowTableView, TimelineEntry, TlbEntryView, TranslationCacheView, WalkView } from '../protocol/panelMessages';
import { formatInstr, hexWord } from '../machine/format';
import { CostComparisons } from './comparisons';

import { guestMappingsOf, hypervisorMapOf, tlbEntriesOf } from '../hypervisor/tableViews';
import { describeAdaptive } from '../hypervisor/binaryTranslate/engine';
import { shadowFrame, tlbFrame } from './cpuView';
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
        id: g,
        name: target.name(g),
        pc: target.pc(g),
        isPretendUser: target.isUser(g),
        virtualIF: target.virtualIF(g),
        cr3: target.cr3(g),
        evt: target.evt(g),
        ksp: target.ksp(g),
        realCr3: cpu.cr3 >>> 0,
        isRealUser: cpu.isUser,
        ticks: target.ticks(g),
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
        return {
          seq: t.seq,
          kind: t.kind,
          guest: t.guest,
          pc: t.pc,
          instruction: t.instruction,
          description: t.description,
          ticks: t.ticks,
          source: location ? { path: location.file, line: location.line } : undefined,
        };
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
    const currentDirectory = target.cr3(g) === 0 ? -1 : (target.cr3(g) & ~0xfff) >>> 0;
    if (hvGuest) {
      target.isUser(g);
      for (const view of hvGuest.shadow.views()) {
        const key = `${g}:${view.guestDirectory}:${view.variant}`;
        const before = this.previousShadow.get(key) ?? new Map<number, number>();
        const after = new Map<number, number>();
        shadows.push({
          guestDirectory: view.guestDirectory,
          variant: view.variant,
          isActive: view.isActive,
          entries: view.entries.map((e) => {
            const code = e.ma * 2 + (e.isWritable ? 1 : 0);
            after.set(e.gva, code);
            const entry: ShadowMappingView = { va: e.gva >>> 0, ma: e.ma >>> 0, isWritable: e.isWritable, isChanged: before.get(e.gva) !== code };
            // Only the shadows of the current address space can be checked against the guest's table.
            const staleReason = view.guestDirectory === currentDirectory ? staleEntryReason(runtime, g, 'shadow', e.gva, e.ma) : undefined;
            if (staleReason) entry.staleReason = staleReason;
            return entry;
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
  const target = runtime.target;
  // The TLB holds the running guest's translations (the real CPU's, in real mode while paging is off).
  const g = target.currentGuest();
  return tlbEntriesOf(target.cpu.tlb).map((entry) => {
    const staleReason = target.cpu.isPhysical ? undefined : staleEntryReason(runtime, g, 'TLB', entry.va, entry.frame);
    return staleReason ? { ...entry, staleReason } : entry;
  });
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
      guestInstructions: block.instrs.map(({ pc, instr }) => `${hexWord(pc)}  ${formatInstr(instr)}`),
      generatedCode: block.source,
      executions: block.executions,
      chainedTo: [block.chainTarget, block.chainNext].filter((b) => b !== undefined && block.chainGeneration === cache.generation).map((b) => b!.gva >>> 0),
      isTranslated: block.isTranslated,
      ...(block.adaptive
        ? { retranslated: `${block.adaptiveAt.map((i) => `\`${formatInstr(block.instrs[i].instr)}\``).join(', ')} ${describeAdaptive(block.adaptive)}: now emulated without a trap` }
        : {}),
    })),
    hits: guest.counters.translationCacheHits,
    misses: guest.counters.translations,
    invalidations: guest.counters.translationInvalidations,
  };
}

/**
 * Why a cached translation (a TLB or shadow entry of guest g's current
 * address space) is stale, or undefined when the guest table and the
 * hypervisor map give the same frame (device pages are not checked).
 */
export function staleEntryReason(runtime: DebugRuntime, g: number, cache: 'TLB' | 'shadow', va: number, frame: number): string | undefined {
  const target = runtime.target;
  const gpa = target.toPhysical(g, va);
  const memory = target.memory(g);
  if (gpa !== undefined && !memory.isRam(gpa)) return undefined;
  const tableFrame = gpa === undefined ? undefined : memory.toMachine(gpa & ~0xfff) >>> 0;
  if (tableFrame === (frame & ~0xfff) >>> 0) return undefined;
  const space = target.hv ? 'machine' : 'physical';
  const why = `a PTE changed without invlpg: the ${cache} keeps the old translation until invlpg or a cr3 load`;
  return tableFrame === undefined
    ? `stale: the guest page table no longer maps ${hexWord(va & ~0xfff)} (${why})`
    : `stale: the guest page table${target.hv ? ' and the hypervisor map give' : ' gives'} ${space} frame ${hexWord(tableFrame)} (${why})`;
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
    steps.push({ table: 'guest', text: `paging is off (guest cr3 = 0): guest-physical ${hexWord(va)}`, isOk: true });
  } else if (walk.gpa < 0) {
    const pdeText = `PDE[${va >>> 22}] = ${hexWord(walk.pde)} (${flagsText(walk.pde)})`;
    const pteText = (walk.pde & Pte.P) !== 0 ? `, PTE[${(va >>> 12) & 0x3ff}] = ${hexWord(walk.pte)} (${flagsText(walk.pte)})` : '';
    steps.push({ table: 'guest', text: `guest table at ${hexWord(cr3)}: ${pdeText}${pteText}: ${walk.gpa === -2 ? 'bus error' : 'not mapped'}`, isOk: false });
  } else {
    gpa = walk.gpa;
    steps.push({
      table: 'guest',
      text: `guest table at ${hexWord(cr3)}: PDE[${va >>> 22}] = ${hexWord(walk.pde)} (${flagsText(walk.pde)}), PTE[${(va >>> 12) & 0x3ff}] = ${hexWord(walk.pte)} (${flagsText(walk.pte)}) -> guest-physical ${hexWord(walk.gpa)}`,
      isOk: true,
    });
  }
  if (gpa !== undefined) {
    const memory = target.memory(g);
    if (memory.isRam(gpa)) {
      steps.push({
        table: 'hypervisor-map',
        text: target.hv
          ? `guest frame ${hexWord(gpa & ~0xfff)} -> machine frame ${hexWord(memory.toMachine(gpa & ~0xfff))}: machine ${hexWord(memory.toMachine(gpa))}`
          : `bare hardware: physical = machine ${hexWord(gpa)}`,
        isOk: true,
      });
    } else {
      steps.push({ table: 'hypervisor-map', text: `${hexWord(gpa)} is ${gpa >>> 12 === 0xffff0 ? 'the console device page' : 'outside guest RAM'}`, isOk: gpa >>> 12 === 0xffff0 });
    }
  }
  const page = hexWord(va & ~0xfff);
  const space = target.hv ? 'machine' : 'physical';
  const hvGuest = target.guestObject(g);
  if (hvGuest && target.hv!.isNested) {
    steps.push({ table: 'shadow', text: 'nested paging: no shadow page table; the CPU walks the guest table and the hypervisor map itself', isOk: true });
  } else if (hvGuest) {
    const entry = shadowFrame(target, g, va);
    const stale = entry && staleEntryReason(runtime, g, 'shadow', va, entry.frame);
    steps.push(
      entry
        ? { table: 'shadow', text: `active shadow: ${page} -> machine ${hexWord(entry.frame)}${entry.isWritable ? ' (writable)' : ' (read-only)'}${stale ? ` — ${stale}` : ''}`, isOk: !stale }
        : { table: 'shadow', text: `active shadow has no entry for ${page}: the next access takes a hidden page fault`, isOk: false },
    );
  }
  const tlb = target.cpu.tlb;
  const isCurrent = target.currentGuest() === g;
  const cached = tlbFrame(target, g, va);
  if (cached) {
    const bits = tlb.bits[cached.entry];
    const stale = staleEntryReason(runtime, g, 'TLB', va, cached.frame);
    steps.push({
      table: 'tlb',
      text: `TLB entry ${cached.entry}: ${page} -> ${space} ${hexWord(cached.frame)} (${bits & TlbBits.W ? 'W' : ''}${bits & TlbBits.U ? 'U' : ''}${bits & TlbBits.D ? 'D' : ''})${stale ? ` — ${stale}` : ''}`,
      isOk: !stale,
    });
  } else {
    steps.push({ table: 'tlb', text: isCurrent ? `not in the TLB (${tlb.nEntries} entries)` : "the TLB holds another guest's translations now", isOk: false });
  }
  return { va, steps };
}
