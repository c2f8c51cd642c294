// `hyperstep run FILE --show page-tables,tlb --at TICK|EVENT[#N]`: run to a
// moment and print the tables the debugger's panels show, as text, for
// students and graders without VS Code. The tables come from
// hypervisor/tableViews.ts, the same source as the panels.

import { hexWord } from '../machine/format';
import { Vector, VECTOR_NAMES } from '../machine/isa';
import { HYPERVISOR_EVENT_KINDS, HypervisorEventKind } from '../hypervisor/events';
import { guestMappingsOf, hypervisorMapOf, shadowsOf, tlbEntriesOf } from '../hypervisor/tableViews';
import { VirtualSystem } from '../hypervisor/system';

export const SHOW_TABLES = ['guest', 'map', 'shadows', 'tlb'] as const;
export type ShowTable = (typeof SHOW_TABLES)[number];
/** `page-tables` is the three tables of the page-table panel. */
const SHOW_GROUPS: Record<string, readonly ShowTable[]> = { 'page-tables': ['guest', 'map', 'shadows'], all: SHOW_TABLES };

/** Events `--at` can name: the debugger's exception filter ids that a run reports. */
// `divergence` is found by comparing with bare hardware, not reported by a run.
export const AT_EVENTS: readonly HypervisorEventKind[] = HYPERVISOR_EVENT_KINDS.filter((kind) => kind !== 'divergence');

export type ShowPoint = { kind: 'tick'; tick: number } | { kind: 'event'; event: string; nth: number } | { kind: 'end' };

export function parseShow(text: string): ShowTable[] {
  const tables = new Set<ShowTable>();
  for (const word of text
    .split(',')
    .map((w) => w.trim())
    .filter((w) => w !== '')) {
    const group = SHOW_GROUPS[word] ?? (SHOW_TABLES.includes(word as ShowTable) ? [word as ShowTable] : undefined);
    if (!group) throw new Error(`--show takes a comma-separated list of ${[...Object.keys(SHOW_GROUPS), ...SHOW_TABLES].join(', ')}; got '${word}'`);
    for (const table of group) tables.add(table);
  }
  if (tables.size === 0) throw new Error('--show needs at least one table');
  return SHOW_TABLES.filter((t) => tables.has(t));
}

export function parseAt(text: string): ShowPoint {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return { kind: 'tick', tick: Number(trimmed) };
  const match = /^([a-z0-9-]+)(?:#(\d+))?$/.exec(trimmed);
  if (!match || !(AT_EVENTS as readonly string[]).includes(match[1]) || (match[2] !== undefined && Number(match[2]) < 1)) {
    throw new Error(`--at takes a tick or an event (optionally EVENT#N for the Nth): ${AT_EVENTS.join(', ')}; got '${text}'`);
  }
  return { kind: 'event', event: match[1], nth: match[2] === undefined ? 1 : Number(match[2]) };
}

function pointName(point: ShowPoint): string {
  return point.kind === 'tick' ? `tick ${point.tick}` : point.kind === 'event' ? `${point.event}#${point.nth}` : 'the end of the run';
}

/** Machine events that stand for a filter id on bare hardware (no hypervisor events there). */
function bareMatch(event: string, kind: string, vector: number | undefined): boolean {
  if (kind === 'exception') {
    return (event === 'protection-fault' && vector === Vector.GP) || (event === 'guest-page-fault' && vector === Vector.PF) || (event === 'syscall' && vector === Vector.SYSCALL);
  }
  return false;
}

/**
 * Runs `system` to the point; returns what happened there (a sentence) and
 * whether the point was reached before the run ended.
 */
export function runToPoint(system: VirtualSystem, point: ShowPoint): { isReached: boolean; what: string; stop: string } {
  if (point.kind === 'end') {
    const result = system.run();
    return { isReached: true, what: 'at the end of the run', stop: result.detail };
  }
  if (point.kind === 'tick') {
    system.cpu.runUntilTick = point.tick;
    system.cpu.requestService();
    const result = system.run();
    return { isReached: result.reason === 'budget', what: `at tick ${system.guest(0).ticks}`, stop: result.detail };
  }
  let seen = 0;
  let what = '';
  const hit = (description: string) => {
    if (++seen !== point.nth) return;
    what = `after ${point.event}#${point.nth} at tick ${system.cpu.ticks}: ${description}`;
    system.cpu.stopRequest = 'requested';
    system.cpu.requestService();
  };
  const isBare = system.hypervisor === undefined;
  // With nested paging the guest's own cr3 loads run natively: only the CPU sees them.
  const isCr3OnCpu = isBare || (system.hypervisor.isNested && point.event === 'cr3-load');
  let dropsSeen = 0;
  system.events.on((event) => {
    if (event.kind === 'sensitive' && point.event === 'sensitive') hit(`\`${event.mnemonic}\` at ${hexWord(event.pc)}`);
    else if (isCr3OnCpu && event.kind === 'cr3-load' && point.event === 'cr3-load') hit(`cr3 load of ${hexWord(event.value)}`);
    else if (isBare && event.kind === 'exception' && bareMatch(point.event, event.kind, event.vector)) hit(`${VECTOR_NAMES[event.vector]} at pc ${hexWord(event.pc)}`);
    else if (isBare && event.kind === 'tlb-flush' && point.event === 'tlb-flush') hit(`TLB flush (${event.reason})`);
  });
  system.hvEvents?.on((event) => {
    if (event.kind === (point.event as HypervisorEventKind)) hit(event.description);
    if (point.event === 'shadow-dropped') {
      const drops = system.hypervisor!.counters.shadowDrops;
      if (drops > dropsSeen) {
        dropsSeen = drops;
        hit(`shadow page table dropped (after: ${event.description})`);
      }
    }
  });
  const result = system.run();
  return { isReached: what !== '', what: what || `at the end of the run (${pointName(point)} never happened)`, stop: result.detail };
}

function flags(f: { w: boolean; u: boolean; a: boolean; d: boolean }): string {
  return `P${f.w ? 'W' : '-'}${f.u ? 'U' : '-'}${f.a ? 'A' : '-'}${f.d ? 'D' : '-'}`;
}

/** The chosen tables of every guest (the TLB, which they share, once at the end). */
export function formatAllTables(system: VirtualSystem, tables: readonly ShowTable[]): string {
  if (system.guestCount === 1) return formatTables(system, 0, tables);
  const perGuest = tables.filter((t) => t !== 'tlb');
  let text = '';
  for (let g = 0; g < system.guestCount; g++) {
    if (perGuest.length > 0) text += `== guest ${system.guest(g).name} ==\n${formatTables(system, g, perGuest)}\n`;
  }
  return tables.includes('tlb') ? text + formatTables(system, system.hypervisor?.guests.indexOf(system.hypervisor.current) ?? 0, ['tlb']) : text;
}

/** The chosen tables of guest g as text, one section per table. */
export function formatTables(system: VirtualSystem, g: number, tables: readonly ShowTable[]): string {
  const view = system.guest(g);
  const memory = system.guestMemory(g);
  const out: string[] = [];
  for (const table of tables) {
    switch (table) {
      case 'guest': {
        const mappings = guestMappingsOf(memory, view.cr3);
        out.push(
          view.cr3 === 0
            ? 'guest page table: none (guest cr3 = 0, paging off)'
            : `guest page table (guest cr3 ${hexWord(view.cr3)}): ${mappings.length} present mapping${mappings.length === 1 ? '' : 's'}`,
        );
        out.push(...mappings.map((m) => `  ${hexWord(m.va)} -> guest-physical ${hexWord(m.pa)}  ${flags(m.flags)}`));
        break;
      }
      case 'map': {
        const map = hypervisorMapOf(memory);
        out.push(
          system.hypervisor ? `hypervisor map (guest-physical frame -> machine frame): ${map.length} frames` : `hypervisor map: none on bare hardware (physical = machine): ${map.length} frames`,
        );
        out.push(...map.map((m) => `  ${hexWord(m.gpa)} -> machine ${hexWord(m.ma)}`));
        break;
      }
      case 'shadows': {
        const shadows = shadowsOf(system, g);
        if (!system.hypervisor) {
          out.push('shadow page tables: none on bare hardware');
          break;
        }
        if (system.hypervisor.isNested) {
          out.push('shadow page tables: none in use with nested paging (the hardware walks the guest table and the hypervisor map)');
          break;
        }
        for (const shadow of shadows) {
          const of = shadow.guestDirectory < 0 ? 'paging off' : `guest PD ${hexWord(shadow.guestDirectory)}`;
          const variant = shadow.variant === 'both' ? 'shadow (both modes)' : `${shadow.variant} shadow`;
          out.push(`${variant} of ${of}${shadow.isActive ? ' (active: the real cr3)' : ''}: ${shadow.entries.length} entr${shadow.entries.length === 1 ? 'y' : 'ies'}`);
          out.push(...shadow.entries.map((e) => `  ${hexWord(e.gva >>> 0)} -> machine ${hexWord(e.ma >>> 0)}  ${e.isWritable ? 'writable' : 'read-only'}`));
        }
        break;
      }
      case 'tlb': {
        const tlb = system.cpu.tlb;
        const entries = tlbEntriesOf(tlb);
        out.push(`TLB (${tlb.nEntries} entries, ${entries.length} valid; ${tlb.hits} hits, ${tlb.misses} misses; real cr3 ${hexWord(system.cpu.cr3 >>> 0)})`);
        out.push(
          ...entries.map(
            (e) =>
              `  [${String(e.index).padStart(2)}] ${hexWord(e.va)} -> ${system.hypervisor ? 'machine' : 'physical'} ${hexWord(e.frame)}  ${e.isWritable ? 'W' : '-'}${e.isUser ? 'U' : '-'}${e.isDirty ? 'D' : '-'}  age ${e.age}`,
          ),
        );
        break;
      }
    }
    out.push('');
  }
  return out.join('\n');
}
