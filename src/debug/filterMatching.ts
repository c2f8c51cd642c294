// Exception-filter matching: which filters the user enabled (with their
// conditions), whether a simulator event matches one, and so whether the run
// stops right after the event or, for trap filters, before the hypervisor
// handles the trap. The filter list and the condition syntax are in
// exceptionFilters.ts; this module does not run the guest, it only asks run
// control to stop.

import { HypervisorEvent } from '../hypervisor/events';
import { EXCEPTION_FILTERS, FilterCondition, FilterEvent, parseFilterCondition } from './exceptionFilters';
import type { DebugRuntime, StopInfo } from './runtime';

/** The fields of a hypervisor event a filter condition can test, under the filter id `kind`. */
export function toFilterEvent(event: HypervisorEvent, kind: string): FilterEvent {
  return { kind, guest: event.guest, pc: event.pc, instruction: event.instruction, description: event.description, ticks: event.ticks, isUser: event.isPretendUser, vector: event.vector, errorCode: event.errorCode, address: event.address };
}

export class FilterMatching {
  private filters = new Map<string, FilterCondition | undefined>();
  /** Set while the hypervisor frame handles a trap with tracing on: nothing it does stops the run. */
  isSuppressed = false;

  constructor(private readonly runtime: DebugRuntime) {}

  set(filters: Array<{ filterId: string; condition?: string }>): Array<{ isVerified: boolean; message?: string }> {
    const runtime = this.runtime;
    this.filters = new Map();
    const results = filters.map(({ filterId, condition }) => {
      if (!EXCEPTION_FILTERS.some((f) => f.filter === filterId)) return { isVerified: false, message: `unknown filter '${filterId}'` };
      try {
        this.filters.set(filterId, parseFilterCondition(condition));
      } catch (e) {
        return { isVerified: false, message: (e as Error).message };
      }
      if (filterId === 'divergence' && !runtime.divergence.canDiverge) {
        return { isVerified: false, message: runtime.guests.length > 1 ? 'the divergence search runs one guest: this machine has several' : 'this session runs on bare hardware: there is nothing to compare with' };
      }
      return { isVerified: true };
    });
    // The search runs once, lazily: after this response, or at the next resume, whichever comes first.
    if (this.filters.has('divergence') && runtime.divergence.canDiverge && !runtime.divergence.isCurrent()) {
      setImmediate(() => { if (!runtime.control.hasExited && !runtime.control.isRunning) runtime.divergence.ensure(); });
    }
    return results;
  }

  has(id: string): boolean {
    return this.filters.has(id);
  }

  /** The fields of the current state of guest g a filter condition can test. */
  filterEvent(kind: string, g: number, description: string, address?: number): FilterEvent {
    const target = this.runtime.target;
    const pc = target.pc(g);
    return { kind, guest: g, pc, instruction: this.runtime.instructionText(g, pc), description, ticks: target.ticks(g), isUser: target.isUser(g), address };
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

  /** An event has happened: asks for a stop right after it when filter `id` matches (a reverse search records it instead). */
  filterAfter(id: string, event: FilterEvent, highlightVa?: number): void {
    const replay = this.runtime.replay;
    if (this.isSuppressed || (replay.isReplaying && !replay.isSearching) || !this.matches(id, event)) return;
    const stop: StopInfo = { reason: 'exception', guest: event.guest, description: event.description, exceptionId: id, highlightVa };
    if (replay.isSearching) replay.noteAfterHit(stop);
    else this.runtime.control.requestStop(stop);
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
    const replay = this.runtime.replay;
    // A replay holds the trap it was asked to, whatever the filters are now (reverse continue's landing, an edit made at a held trap).
    const isHoldAsked = replay.holdAt !== undefined && replay.holdAt === this.runtime.position();
    if (replay.isReplaying && !replay.isSearching) return isHoldAsked;
    if (this.isSuppressed || !this.matches(id, event)) return isHoldAsked;
    if (replay.isSearching) { replay.noteTrapHit(stop); return isHoldAsked; }
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
      case 'io-emulated': case 'hidden-page-fault': case 'guest-page-fault': case 'syscall': case 'hypercall':
        return [event.kind];
      default:
        return [];
    }
  }

  /** The hypervisor's question before it handles a trap: hold it (a trap filter matched, a replay asks for it, or step into waits for it)? */
  readonly shouldStopAtTrap = (event: HypervisorEvent): boolean => {
    const control = this.runtime.control;
    const replay = this.runtime.replay;
    const id = this.beforeCandidates(event).find((candidate) => this.matches(candidate, toFilterEvent(event, candidate)));
    const isHeld = id !== undefined
      ? this.holdsBefore(id, toFilterEvent(event, id), { reason: 'exception', guest: event.guest, description: event.description, exceptionId: id, highlightVa: event.address })
      : replay.isReplaying && replay.holdAt === this.runtime.position();
    if (replay.isReplaying) {
      if (isHeld) control.lastTrapEvent = event;
      return isHeld;
    }
    if (isHeld) {
      control.trapStop = { event, filterId: id };
      return true;
    }
    if (this.isSuppressed) return false;
    // Step into enters the hypervisor's handler; a delivery in guest mode (hardware assist) has none.
    if (control.stepInGuest === event.guest && !event.isGuestModeDelivery) {
      control.trapStop = { event };
      return true;
    }
    return false;
  };

  get hasBeforeFilters(): boolean {
    return EXCEPTION_FILTERS.some((f) => f.isBeforeHandling && this.filters.has(f.filter));
  }
}
