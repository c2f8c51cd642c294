// The `divergence` exception filter: a search, run once and cached, for the
// first instruction whose guest-visible effect differs from bare hardware
// (findDivergence, README "divergence"), and the tick budgets that make a run
// end exactly after that instruction. It knows the session's settings and
// typed input, not how a run is driven or how a stop is reported.

import { Divergence, findDivergence } from '../hypervisor/compare';
import { TimedInput } from '../machine/devices/keyboard';
import { createSystem, SystemOptions, VirtualSystem } from '../hypervisor/system';
import { hex8 } from './evaluate';
import { DIVERGENCE_SEARCH_LIMIT, FilterEvent } from './exceptionFilters';
import type { DebugRuntime } from './runtime';

/** Ticks between whole-state comparisons in the divergence search (findDivergence replays one such chunk tick by tick). */
const DIVERGENCE_SEARCH_CHUNK = 2000;

/** The cached result of the divergence search: the first divergence of this run from bare hardware, if any. */
interface DivergenceSearch {
  /** The inputs the search ran with (launch input plus typed input), to tell when it must run again. */
  key: string;
  divergence: Divergence | undefined;
  /** The guest's retired count right after the diverging instruction: where the run stops. */
  stopRetired: number | undefined;
  description: string;
  /** Retired instructions compared (the bound, or fewer when both runs ended first). */
  limit: number;
}

export class DivergenceFilter {
  private divergenceSearch: DivergenceSearch | undefined;

  constructor(private readonly runtime: DebugRuntime) {}

  /** The divergence filter compares one guest under a hypervisor setting with bare hardware. */
  get canDiverge(): boolean {
    return this.runtime.systemOptions.virtualization !== 'none' && this.runtime.guests.length === 1;
  }

  /** Keyboard input typed during the session, at the guest tick it was typed (the search replays it at that tick). */
  private typedInputs(): TimedInput[] {
    return this.runtime.history.interventions.flatMap((i) => (i.input ? [i.input] : []));
  }

  private divergenceSearchKey(): string {
    return JSON.stringify(this.typedInputs().map((i) => [i.tick, Buffer.from(i.bytes).toString('latin1')]));
  }

  isCurrent(): boolean {
    return this.divergenceSearch !== undefined && this.divergenceSearch.key === this.divergenceSearchKey();
  }

  /**
   * Runs the divergence search unless its cached result still holds: the same
   * guest image, inputs (launch input plus the input typed so far, each at the
   * guest tick it was typed) and TLB size, once on bare hardware and once
   * under this session's setting, for at most DIVERGENCE_SEARCH_LIMIT retired
   * instructions. Register and memory edits are not part of it.
   */
  ensure(): DivergenceSearch | undefined {
    const runtime = this.runtime;
    if (!runtime.exceptionFilters.has('divergence') || !this.canDiverge) return undefined;
    const key = this.divergenceSearchKey();
    if (this.divergenceSearch?.key === key) return this.divergenceSearch;
    const guest = runtime.guests[0];
    const limit = Math.min(DIVERGENCE_SEARCH_LIMIT, runtime.config.maxInstructions ?? DIVERGENCE_SEARCH_LIMIT);
    const searchGuest = { name: guest.name, image: guest.image, memory: guest.memory, inputs: [...(guest.inputs ?? []), ...this.typedInputs()] };
    const make = (virtualization: SystemOptions['virtualization']) => (): VirtualSystem =>
      createSystem({ ...runtime.systemOptions, virtualization, guests: [searchGuest], maxInstructions: limit, isInteractive: false });
    const result = findDivergence(make('none'), make(runtime.systemOptions.virtualization), { chunk: DIVERGENCE_SEARCH_CHUNK });
    const d = result.divergence;
    const description = d
      ? `divergence from bare hardware after ${d.retired} instructions at ${hex8(d.pc)}: \`${d.instruction}\` — ${d.differences.join('; ')}; ${d.explanation}`
      : `no divergence from bare hardware in ${result.ticksCompared} ticks (bare: ${result.reference.reason}, ${result.otherSetting}: ${result.other.reason}; the search stops after ${limit} instructions)`;
    this.divergenceSearch = { key, divergence: d, stopRetired: d ? d.retired + 1 : undefined, description, limit };
    runtime.emit({ kind: 'output', category: 'console', text: `hyperstep: divergence search: ${d ? `${description}; the run stops right after that instruction` : description}\n` });
    return this.divergenceSearch;
  }

  /** A tick budget that ends the run when the guest retires the diverging instruction, if that is still ahead. */
  cap(runUntilTick: number): number {
    const runtime = this.runtime;
    const stopRetired = this.divergenceSearch?.stopRetired;
    if (stopRetired === undefined || !runtime.exceptionFilters.has('divergence') || runtime.replay.isReplaying) return runUntilTick;
    const retired = runtime.target.retired(0);
    if (retired >= stopRetired) return runUntilTick;
    // Ticks count retired instructions plus idle ticks: this is the earliest tick it can happen.
    return Math.min(runUntilTick, runtime.target.cpu.ticks + (stopRetired - retired));
  }

  /** After a run that started at `retiredBefore`: stops when it retired the diverging instruction (and the condition holds). */
  check(retiredBefore: number): boolean {
    const runtime = this.runtime;
    const search = this.divergenceSearch;
    const stopRetired = search?.stopRetired;
    if (!search?.divergence || stopRetired === undefined || runtime.replay.isReplaying || runtime.exceptionFilters.isSuppressed) return false;
    const retired = runtime.target.retired(0);
    if (retiredBefore >= stopRetired || retired < stopRetired) return false;
    const d = search.divergence;
    runtime.timeline.record('divergence', 0, d.pc, d.instruction, search.description, runtime.target.ticks(0));
    const event: FilterEvent = { kind: 'divergence', guest: 0, pc: d.pc, instruction: d.instruction, description: search.description, ticks: runtime.target.ticks(0), isUser: runtime.target.isUser(0) };
    if (!runtime.exceptionFilters.matches('divergence', event)) return false;
    runtime.control.pendingStop = undefined;
    runtime.stop({ reason: 'exception', guest: 0, description: search.description, exceptionId: 'divergence' });
    return true;
  }
}
