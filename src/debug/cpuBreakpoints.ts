// Code breakpoints as the CPU sees them. Breakpoints are kept by guest-physical
// address (breakpoints.ts); the CPU compares virtual pcs, so this module gives
// it every virtual alias of them in each guest's current address space (cached
// per cr3, dropped when mappings may have changed), and decides at a hit
// whether the breakpoints there really stop: conditions, hit counts,
// logpoints. It does not run the guest nor know why the run stopped.

import { BreakpointRecord, Breakpoints, virtualAliases } from './breakpoints';
import type { RunPosition } from './currentSystem';
import { EvalContext, evaluateExpression, interpolate } from './evaluate';
import type { ReplayStatus } from './replayMode';
import type { TempBreak } from './runState';
import type { RuntimeEvent } from './runtime';

/** What the breakpoints at a pc need besides the breakpoints: expressions, the console, step over's temporary stop. */
export interface CpuBreakpointsDeps {
  run: Pick<RunPosition, 'target'>;
  breakpoints: Breakpoints;
  replay: Pick<ReplayStatus, 'isReplaying' | 'isSearching'>;
  /** Step over's temporary breakpoint, which the CPU is given with the others. */
  runState: { readonly tempBreak: Readonly<TempBreak> | undefined };
  evalContext(g: number): EvalContext;
  /** Logpoint lines and failing conditions go to the debug console. */
  emit(event: RuntimeEvent): void;
  /** Pending guest output, printed before a logpoint's line. */
  flushOutput(): void;
}

export class CpuBreakpoints {
  /** Guest -> (its cr3 -> the virtual addresses of breakpoints in that address space); dropped when mappings change (invlpg). */
  private aliasCache = new Map<number, Map<number, number[]>>();

  constructor(private readonly deps: CpuBreakpointsDeps) {}

  /** Forgets every alias (breakpoints, memory or the whole system changed). */
  clearAliases(): void {
    this.aliasCache.clear();
  }

  /** Forgets guest g's aliases (its mappings changed). */
  forgetAliases(g: number): void {
    this.aliasCache.delete(g);
  }

  private aliases(g: number): number[] {
    const target = this.deps.run.target;
    const cr3 = target.cr3(g);
    let perGuest = this.aliasCache.get(g);
    if (!perGuest) {
      perGuest = new Map();
      this.aliasCache.set(g, perGuest);
    }
    let list = perGuest.get(cr3);
    if (!list) {
      list = virtualAliases(target, g, this.deps.breakpoints.physicalAddresses(g));
      perGuest.set(cr3, list);
    }
    return list;
  }

  /** Gives the CPU every virtual pc where a breakpoint may be; a stop there is checked against physical addresses. */
  refresh(): void {
    const { replay, breakpoints } = this.deps;
    // A quiet replay runs without breakpoints; reverse continue's search follows them as the page tables change.
    if (replay.isReplaying && !replay.isSearching) return;
    const target = this.deps.run.target;
    const cpu = target.cpu;
    const tempBreak = this.deps.runState.tempBreak;
    if (!breakpoints.hasCodeBreakpoints && !tempBreak) {
      if (cpu.breakpoints.size > 0) cpu.setBreakpoints([]);
      return;
    }
    const addresses: number[] = breakpoints.instructions.filter((r) => r.isVerified).map((r) => r.address!);
    for (let g = 0; g < target.guestCount; g++) addresses.push(...this.aliases(g));
    if (tempBreak) addresses.push(tempBreak.address);
    cpu.setBreakpoints(addresses);
  }

  /** Decides whether the breakpoints at the current pc stop the run: conditions, hit counts, logpoints. */
  check(g: number, pc: number, options: { isCounting: boolean }): BreakpointRecord[] {
    const deps = this.deps;
    const gpa = deps.run.target.toPhysical(g, pc);
    const stopping: BreakpointRecord[] = [];
    for (const record of deps.breakpoints.hitsAt(g, pc, gpa)) {
      if (record.condition) {
        try {
          if (evaluateExpression(record.condition, deps.evalContext(g)) === 0) continue;
        } catch (e) {
          if (options.isCounting) deps.emit({ kind: 'output', category: 'stderr', text: `breakpoint condition '${record.condition}': ${(e as Error).message}\n` });
          continue;
        }
      }
      if (options.isCounting) {
        record.hits++;
        if (record.hitCondition && !record.hitCondition(record.hits)) continue;
        if (record.logMessage !== undefined) {
          deps.flushOutput();
          deps.emit({ kind: 'output', category: 'console', text: interpolate(record.logMessage, deps.evalContext(g)) + '\n' });
          continue;
        }
      } else if (record.logMessage !== undefined || record.hitCondition) continue;
      stopping.push(record);
    }
    return stopping;
  }
}
