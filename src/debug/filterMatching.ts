// Exception-filter matching: which filters the user enabled (with their
// conditions), whether a simulator event matches one, and so whether the run
// stops right after the event or, for trap filters, before the hypervisor
// handles the trap. The filter list and the condition syntax are in
// exceptionFilters.ts; this module does not run the guest: it decides, and
// pushes typed requests (StopRequests) that run control acts on.

import { HypervisorEvent } from '../hypervisor/events';
import type { RunPosition } from './currentSystem';
import { EXCEPTION_FILTERS, FilterCondition, FilterEvent, parseFilterCondition } from './exceptionFilters';
import type { ReplayStatus } from './replayMode';
import type { StopRequests } from './runState';
import type { StopInfo } from './runtime';

export interface FilterMatchingDeps {
  run: RunPosition;
  replay: ReplayStatus;
  stops: StopRequests;
  instructionText(g: number, pc: number): string;
  /** Why the `divergence` filter cannot work in this session (bare hardware, several guests), or undefined when it can. */
  divergenceUnavailable: string | undefined;
}

/** The fields of a hypervisor event a filter condition can test, under the filter id `kind`. */
export function toFilterEvent(event: HypervisorEvent, kind: string): FilterEvent {
  return {
    kind,
    guest: event.guest,
    pc: event.pc,
    instruction: event.instruction,
    description: event.description,
    ticks: event.ticks,
    isUser: event.isPretendUser,
    vector: event.vector,
    errorCode: event.errorCode,
    address: event.address,
  };
}

export class FilterMatching {
  private filters = new Map<string, FilterCondition | undefined>();
  private suppressed = false;

  constructor(private readonly deps: FilterMatchingDeps) {}

  /** True while the hypervisor frame handles a trap with tracing on: nothing it does stops the run. */
  get isSuppressed(): boolean {
    return this.suppressed;
  }

  /** The hypervisor frame handles a trap with tracing on (true) or is done (false). */
  suppress(isSuppressed: boolean): void {
    this.suppressed = isSuppressed;
  }

  /** Sets the enabled filters; the divergence search they may need is the caller's to start. */
  set(filters: Array<{ filterId: string; condition?: string }>): Array<{ isVerified: boolean; message?: string }> {
    this.filters = new Map();
    const results = filters.map(({ filterId, condition }) => {
      if (!EXCEPTION_FILTERS.some((f) => f.filter === filterId)) return { isVerified: false, message: `unknown filter '${filterId}'` };
      try {
        this.filters.set(filterId, parseFilterCondition(condition));
      } catch (e) {
        return { isVerified: false, message: (e as Error).message };
      }
      if (filterId === 'divergence' && this.deps.divergenceUnavailable) return { isVerified: false, message: this.deps.divergenceUnavailable };
      return { isVerified: true };
    });
    return results;
  }

  has(id: string): boolean {
    return this.filters.has(id);
  }

  /** The fields of the current state of guest g a filter condition can test. */
  filterEvent(kind: string, g: number, description: string, address?: number): FilterEvent {
    const target = this.deps.run.target;
    const pc = target.pc(g);
    return { kind, guest: g, pc, instruction: this.deps.instructionText(g, pc), description, ticks: target.ticks(g), isUser: target.isUser(g), address };
  }

  matches(id: string, event: FilterEvent): boolean {
    if (!this.filters.has(id)) return false;
    const condition = this.filters.get(id);
    try {
      return !condition || condition(event);
    } catch {
      return false;
    }
  }

  /**
   * An event has happened: asks for a stop right after it when filter `id`
   * matches (a reverse search gets the same request, and records it).
   */
  filterAfter(id: string, event: FilterEvent, highlightVa?: number): void {
    const replay = this.deps.replay;
    if (this.suppressed || (replay.isReplaying && !replay.isSearching) || !this.matches(id, event)) return;
    this.deps.stops.requestStop({ reason: 'exception', guest: event.guest, description: event.description, exceptionId: id, highlightVa });
  }

  /**
   * A trap filter `id` may hold a trap before it is handled (under the
   * hypervisor) or before it is delivered (bare hardware, hardware assist's
   * guest mode). True when the trap is to be held: running forward when the
   * filter matches, or in a replay asked to hold the trap at this position
   * (reverse continue's landing, an edit made at a held trap). A reverse
   * search records the match and lets the trap go on unless asked to hold it.
   */
  holdsBefore(id: string, event: FilterEvent, stop: StopInfo): boolean {
    const replay = this.deps.replay;
    // A replay holds the trap it was asked to, whatever the filters are now (reverse continue's landing, an edit made at a held trap).
    const isHoldAsked = replay.holdAt !== undefined && replay.holdAt === this.deps.run.position();
    if (replay.isReplaying && !replay.isSearching) return isHoldAsked;
    if (this.suppressed || !this.matches(id, event)) return isHoldAsked;
    if (replay.isSearching) {
      this.deps.stops.recordTrapMatch(stop);
      return isHoldAsked;
    }
    return true;
  }

  /** The filters a trap could match before the hypervisor handles it. */
  private beforeCandidates(event: HypervisorEvent): string[] {
    switch (event.kind) {
      case 'protection-fault': {
        if (event.isPretendUser || event.isGuestModeDelivery) return ['protection-fault'];
        const isIo = /^(in|out)\b/.test(event.instruction);
        return ['protection-fault', isIo ? 'io-emulated' : 'privileged-emulated'];
      }
      case 'io-emulated':
      case 'hidden-page-fault':
      case 'guest-page-fault':
      case 'syscall':
      case 'hypercall':
        return [event.kind];
      default:
        return [];
    }
  }

  /**
   * The hypervisor's question before it handles a trap: hold it (a trap filter
   * matched, a replay asks for it, or step into waits for it)? A held trap is
   * pushed to run control with the filter that holds it.
   */
  readonly shouldStopAtTrap = (event: HypervisorEvent): boolean => {
    const { replay, stops } = this.deps;
    const id = this.beforeCandidates(event).find((candidate) => this.matches(candidate, toFilterEvent(event, candidate)));
    const isHeld =
      id !== undefined
        ? this.holdsBefore(id, toFilterEvent(event, id), { reason: 'exception', guest: event.guest, description: event.description, exceptionId: id, highlightVa: event.address })
        : replay.isReplaying && replay.holdAt === this.deps.run.position();
    if (replay.isReplaying) {
      if (isHeld) stops.noteHeldInReplay(event);
      return isHeld;
    }
    if (isHeld) {
      stops.holdTrap(event, id);
      return true;
    }
    if (this.suppressed) return false;
    // Step into enters the hypervisor's handler; a delivery in guest mode (hardware assist) has none.
    if (stops.stepInGuest === event.guest && !event.isGuestModeDelivery) {
      stops.holdTrap(event);
      return true;
    }
    return false;
  };

  get hasBeforeFilters(): boolean {
    return EXCEPTION_FILTERS.some((f) => f.isBeforeHandling && this.filters.has(f.filter));
  }
}
