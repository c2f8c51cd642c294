// The `divergence` exception filter: a search, run once and cached, for the
// first instruction whose guest-visible effect differs from bare hardware
// (findDivergence, README "divergence"), and the tick budgets that make a run
// end exactly after that instruction. It knows the session's settings and
// typed input, not how a run is driven: `check` returns the stop to report.

import { Divergence, findDivergence } from '../hypervisor/compare';
import { TimedInput } from '../machine/devices/keyboard';
import { createSystem, SystemGuest, SystemOptions, VirtualSystem } from '../hypervisor/system';
import type { RunPosition } from './currentSystem';
import { hexWord } from '../machine/format';
import { DIVERGENCE_SEARCH_LIMIT, FilterEvent } from './exceptionFilters';
import type { FilterMatching } from './filterMatching';
import type { ReplayStatus } from './replayMode';
import type { RuntimeEvent, StopInfo } from './runtime';
import type { Timeline } from './timeline';

export interface DivergenceDeps {
  run: Pick<RunPosition, 'target'>;
  /** The session's settings and guests (the search compares guest 0's image under them with bare hardware). */
  systemOptions: SystemOptions;
  maxInstructions: number | undefined;
  /** Keyboard input typed during the session so far, at the guest tick it was typed. */
  typedInputs(): TimedInput[];
  filters: Pick<FilterMatching, 'has' | 'matches' | 'isSuppressed'>;
  replay: Pick<ReplayStatus, 'isReplaying'>;
  timeline: Pick<Timeline, 'record'>;
  emit(event: RuntimeEvent): void;
}

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

  constructor(private readonly deps: DivergenceDeps) {}

  /** Why the divergence filter cannot work with these settings, or undefined: it compares one guest under a hypervisor setting with bare hardware. */
  static unavailableReason(options: Pick<SystemOptions, 'virtualization' | 'guests'>): string | undefined {
    if (options.guests.length > 1) return 'the divergence search runs one guest: this machine has several';
    if (options.virtualization === 'none') return 'this session runs on bare hardware: there is nothing to compare with';
    return undefined;
  }

  get canDiverge(): boolean {
    return DivergenceFilter.unavailableReason(this.deps.systemOptions) === undefined;
  }

  private divergenceSearchKey(): string {
    return JSON.stringify(this.deps.typedInputs().map((i) => [i.tick, Buffer.from(i.bytes).toString('latin1')]));
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
    const { deps } = this;
    if (!deps.filters.has('divergence') || !this.canDiverge) return undefined;
    const key = this.divergenceSearchKey();
    if (this.divergenceSearch?.key === key) return this.divergenceSearch;
    const options = deps.systemOptions;
    const guest = options.guests[0];
    const limit = Math.min(DIVERGENCE_SEARCH_LIMIT, deps.maxInstructions ?? DIVERGENCE_SEARCH_LIMIT);
    const searchGuest: SystemGuest = { name: guest.name, image: guest.image, memory: guest.memory, inputs: [...(guest.inputs ?? []), ...deps.typedInputs()] };
    const make = (virtualization: SystemOptions['virtualization']) => (): VirtualSystem =>
      createSystem({ ...options, virtualization, guests: [searchGuest], maxInstructions: limit, isInteractive: false });
    const result = findDivergence(make('none'), make(options.virtualization), { chunk: DIVERGENCE_SEARCH_CHUNK });
    const d = result.divergence;
    const description = d
      ? `divergence from bare hardware after ${d.retired} instructions at ${hexWord(d.pc)}: \`${d.instruction}\` — ${d.differences.join('; ')}; ${d.explanation}`
      : `no divergence from bare hardware in ${result.ticksCompared} ticks (bare: ${result.reference.reason}, ${result.otherSetting}: ${result.other.reason}; the search stops after ${limit} instructions)`;
    this.divergenceSearch = { key, divergence: d, stopRetired: d ? d.retired + 1 : undefined, description, limit };
    deps.emit({ kind: 'output', category: 'console', text: `hyperstep: divergence search: ${d ? `${description}; the run stops right after that instruction` : description}\n` });
    return this.divergenceSearch;
  }

  /** A tick budget that ends the run when the guest retires the diverging instruction, if that is still ahead. */
  cap(runUntilTick: number): number {
    const { deps } = this;
    const stopRetired = this.divergenceSearch?.stopRetired;
    if (stopRetired === undefined || !deps.filters.has('divergence') || deps.replay.isReplaying) return runUntilTick;
    const target = deps.run.target;
    const retired = target.retired(0);
    if (retired >= stopRetired) return runUntilTick;
    // Ticks count retired instructions plus idle ticks: this is the earliest tick it can happen.
    return Math.min(runUntilTick, target.cpu.ticks + (stopRetired - retired));
  }

  /**
   * After a run that started at `retiredBefore`: when it retired the diverging
   * instruction, puts it on the timeline and returns the stop to report, if
   * the filter's condition holds (the stop replaces any other of that run).
   */
  check(retiredBefore: number): StopInfo | undefined {
    const { deps } = this;
    const search = this.divergenceSearch;
    const stopRetired = search?.stopRetired;
    if (!search?.divergence || stopRetired === undefined || deps.replay.isReplaying || deps.filters.isSuppressed) return undefined;
    const target = deps.run.target;
    const retired = target.retired(0);
    if (retiredBefore >= stopRetired || retired < stopRetired) return undefined;
    const d = search.divergence;
    deps.timeline.record('divergence', 0, d.pc, d.instruction, search.description, target.ticks(0));
    const event: FilterEvent = { kind: 'divergence', guest: 0, pc: d.pc, instruction: d.instruction, description: search.description, ticks: target.ticks(0), isUser: target.isUser(0) };
    if (!deps.filters.matches('divergence', event)) return undefined;
    return { reason: 'exception', guest: 0, description: search.description, exceptionId: 'divergence' };
  }
}
