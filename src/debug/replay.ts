// Going back in the run: snapshots taken while running forward, step back and
// reverse continue. Both restore the nearest snapshot before the target
// position and replay forward to it quietly (no filters, no breakpoints, no
// handler frames pushed), making the user's interventions again at their
// positions; this rests on a run being a pure function of image, config and
// input. What the snapshots hold and how many are kept is history.ts's.

import { VirtualSystem } from '../hypervisor/system';
import { hex8 } from './evaluate';
import { estimateBytes, Snapshot } from './history';
import { isGuestStop } from './runControl';
import type { DebugRuntime, RuntimeBookkeeping, StopInfo } from './runtime';

export class Replay {
  /** Set while replaying: the position to stop at; filters and breakpoints stay quiet. */
  replayTarget: number | undefined;
  isReplaying = false;
  /** Set while reverse continue searches forward from a snapshot: stops are recorded, the latest before `end` wins. */
  private search: { end: number; found: Found | undefined; pendingAfter: StopInfo | undefined } | undefined;
  /** Set while a replay is to hold the trap raised at this position: reverse continue landing on a trap-filter hit, or an edit made at a held trap. */
  holdAt: number | undefined;

  constructor(private readonly runtime: DebugRuntime) {}

  /** An exception was counted: a replay re-aims its tick budget so it ends exactly at its target position. */
  afterEventCount(): void {
    if (this.replayTarget === undefined) return;
    const cpu = this.runtime.target.cpu;
    cpu.runUntilTick = cpu.ticks + Math.max(0, this.replayTarget - this.runtime.position());
    cpu.requestService();
  }

  get isSearching(): boolean {
    return this.search !== undefined;
  }

  /** A trap filter matched during the search: its stop is the state just before the trap is handled. */
  noteTrapHit(stop: StopInfo): void {
    const search = this.search!;
    const position = this.runtime.position();
    if (position < search.end) search.found = { position, stop, isHeld: true };
  }

  /** An event filter matched during the search: its stop is the next instruction boundary, as when running forward. */
  noteAfterHit(stop: StopInfo): void {
    const search = this.search!;
    if (!search.pendingAfter) search.pendingAfter = stop;
    const cpu = this.runtime.target.cpu;
    cpu.stopRequest = 'requested';
    cpu.requestService();
  }

  maybeSnapshot(): void {
    const runtime = this.runtime;
    const system = runtime.system as VirtualSystem & { saveState?: () => unknown };
    const position = runtime.position();
    if (typeof system.saveState !== 'function' || !runtime.history.isDue(position) || runtime.target.hv?.pendingTrap || runtime.target.hv?.pendingGuestDelivery || runtime.target.machine?.pendingException) return;
    const state = system.saveState();
    runtime.history.add({ position, state, runtime: runtime.bookkeeping(), nInterventions: runtime.history.interventions.length, bytes: estimateBytes(state) });
  }

  /**
   * Puts the system at the first instruction boundary at or after `position`,
   * replaying from a snapshot. With `isTrapHeld`, the trap raised at `position`
   * is held before it is handled or delivered, as a trap filter holds it.
   */
  goTo(position: number, options: { isTrapHeld?: boolean } = {}): void {
    const runtime = this.runtime;
    const snapshot = runtime.history.nearest(position);
    this.restore(snapshot);
    const interventions = runtime.history.interventions.slice(snapshot.nInterventions).filter((i) => i.position <= position);
    // The hypervisor asks before each trap only when one is to be held.
    const hv = runtime.target.hv;
    if (hv && (options.isTrapHeld || interventions.some((i) => i.isTrapHeld))) hv.shouldStopAtTrap = runtime.exceptionFilters.shouldStopAtTrap;
    this.isReplaying = true;
    try {
      for (const intervention of interventions) {
        // An edit made at a held trap is made again there, before the trap is handled or delivered.
        this.holdAt = intervention.isTrapHeld ? intervention.position : undefined;
        this.runTo(intervention.position);
        intervention.apply();
      }
      this.holdAt = options.isTrapHeld ? position : undefined;
      this.runTo(position);
    } finally {
      this.isReplaying = false;
      this.holdAt = undefined;
      if (runtime.target.hv) runtime.target.hv.shouldStopAtTrap = undefined;
    }
    runtime.hvFrame.forget();
    runtime.control.fatal = undefined;
    runtime.cpuBreakpoints.clearAliases();
  }

  private restore(snapshot: Snapshot<RuntimeBookkeeping>): void {
    const runtime = this.runtime;
    const system = runtime.system as VirtualSystem & { loadState?: (state: unknown) => void };
    if (snapshot.state !== undefined && typeof system.loadState === 'function') {
      system.loadState(snapshot.state);
      runtime.loadBookkeeping(snapshot.runtime);
    } else {
      runtime.install(runtime.makeSystem());
    }
    if (runtime.target.hv) { runtime.target.hv.pendingTrap = undefined; runtime.target.hv.pendingGuestDelivery = undefined; runtime.target.hv.shouldStopAtTrap = undefined; }
    runtime.target.cpu.setBreakpoints([]);
    runtime.target.cpu.stopRequest = undefined;
    runtime.simulatorEvents.heldDelivery = undefined;
    runtime.timeline.dropAfter(snapshot.position);
  }

  /** Runs (quietly) to the first boundary at or after `position`. */
  private runTo(position: number): void {
    const runtime = this.runtime;
    const cpu = runtime.target.cpu;
    this.replayTarget = position;
    try {
      for (let guard = 0; guard < 1_000_000; guard++) {
        const before = runtime.position();
        if (before >= position) return;
        cpu.runUntilTick = cpu.ticks + (position - before);
        cpu.requestService();
        const result = runtime.run();
        if (result.reason === 'breakpoint') { cpu.skipBreakpointAt = cpu.pc; continue; }
        if (isGuestStop(result.reason) || result.reason === 'waiting-for-input') return;
        if (runtime.position() === before && result.reason !== 'requested') return;
      }
    } finally {
      this.replayTarget = undefined;
    }
  }

  /** A summary of the thread's state that tells a meaningful step (pc or retired count moved). */
  private stateKey(g: number): string {
    const target = this.runtime.target;
    return `${target.pc(g)}:${target.retired(g)}:${target.isUser(g)}`;
  }

  /** The last boundary before `position` at which guest g's pc or retired count differs from now. */
  private previousBoundary(g: number, position: number): number {
    const currentKey = this.stateKey(g);
    for (let back = 64; ; back *= 8) {
      const start = Math.max(0, position - back);
      this.goTo(start);
      let best: number | undefined;
      this.isReplaying = true;
      try {
        for (let guard = 0; guard < 10 * back + 100; guard++) {
          const here = this.runtime.position();
          if (here >= position) break;
          if (this.stateKey(g) !== currentKey || here === 0) best = here;
          this.runTo(here + 1);
          if (this.runtime.position() === here) break;
        }
      } finally {
        this.isReplaying = false;
      }
      if (best !== undefined || start === 0) return best ?? 0;
    }
  }

  stepBack(guest: number): void {
    const runtime = this.runtime;
    if (runtime.control.isRunning) return;
    runtime.focusGuest = guest;
    const hvFrame = runtime.hvFrame;
    const frame = hvFrame.frame;
    if (frame) {
      if (frame.index > 0) {
        frame.index--;
        hvFrame.show();
        runtime.stop({ reason: 'step', guest: frame.guest, description: `hypervisor: ${frame.trace[frame.index]}` });
        return;
      }
      hvFrame.leave();
      this.goTo(Math.max(0, frame.position - 1));
      runtime.stop({ reason: 'step', guest: frame.guest, description: 'stepped back out of the hypervisor, before the trap' });
      return;
    }
    const position = runtime.position();
    if (position === 0) { runtime.stop({ reason: 'step', guest, description: 'at the start of the run: nothing to step back to' }); return; }
    const target = this.previousBoundary(guest, position);
    this.goTo(target);
    runtime.stop({ reason: 'step', guest, description: `stepped back to run position ${target}` });
  }

  /**
   * Runs backwards to the latest stop before the current position: a code
   * breakpoint hit or an exception filter match. Each snapshot, latest first,
   * is replayed forward to the current position with breakpoints following
   * the page tables as they change and filters recording their matches rather
   * than stopping; the latest match wins, and the run is put there (a trap
   * filter's trap held, as when running forward). Without one: the start.
   */
  reverseContinue(guest: number): void {
    const runtime = this.runtime;
    if (runtime.control.isRunning) return;
    runtime.focusGuest = guest;
    runtime.hvFrame.leave();
    const end = runtime.position();
    let found: Found | undefined;
    for (const snapshot of runtime.history.startsBefore(end)) {
      found = this.searchFrom(snapshot.position, end);
      if (found) break;
    }
    if (found) {
      this.goTo(found.position, { isTrapHeld: found.isHeld });
      const stop = found.stop;
      runtime.stop({ ...stop, description: `reverse continue: ${stop.description}` });
    } else {
      this.goTo(0);
      runtime.stop({ reason: 'entry', guest, description: 'reverse continue reached the start of the run' });
    }
  }

  /** Replays quietly from the snapshot at `start` to `end`, recording every stop on the way; the latest. */
  private searchFrom(start: number, end: number): Found | undefined {
    const runtime = this.runtime;
    this.goTo(start);
    const cpu = runtime.target.cpu;
    const search: { end: number; found: Found | undefined; pendingAfter: StopInfo | undefined } = { end, found: undefined, pendingAfter: undefined };
    this.search = search;
    this.isReplaying = true;
    const hv = runtime.target.hv;
    // The user's edits between the snapshot and the end are made again on the way, as goTo makes them.
    const interventions = runtime.history.interventions.filter((i) => i.position > start && i.position < end);
    if (hv && (runtime.exceptionFilters.hasBeforeFilters || interventions.some((i) => i.isTrapHeld))) hv.shouldStopAtTrap = runtime.exceptionFilters.shouldStopAtTrap;
    let next = 0;
    try {
      // Aliases follow the page tables: computed for the current address space and again at each cr3 load or invlpg.
      runtime.cpuBreakpoints.clearAliases();
      runtime.cpuBreakpoints.refresh();
      for (let guard = 0; guard < 1_000_000; guard++) {
        const here = runtime.position();
        while (next < interventions.length && interventions[next].position <= here) interventions[next++].apply();
        if (here >= end) break;
        const stopAt = next < interventions.length ? interventions[next].position : end;
        this.holdAt = next < interventions.length && interventions[next].isTrapHeld ? stopAt : undefined;
        this.replayTarget = stopAt;
        cpu.runUntilTick = cpu.ticks + (stopAt - here);
        cpu.requestService();
        const result = runtime.run();
        if (result.reason === 'breakpoint') {
          const g = runtime.target.currentGuest();
          const pc = cpu.pc >>> 0;
          const hits = runtime.cpuBreakpoints.check(g, pc, { isCounting: false });
          if (hits.length > 0 && runtime.position() < end) {
            const isInstruction = hits.every((h) => h.kind === 'instruction');
            search.found = { position: runtime.position(), isHeld: false, stop: { reason: isInstruction ? 'instruction breakpoint' : 'breakpoint', guest: g, description: `breakpoint at ${hex8(pc)}`, hitBreakpointIds: hits.map((h) => h.id) } };
          }
          cpu.skipBreakpointAt = cpu.pc;
          continue;
        }
        if (result.reason === 'requested' && search.pendingAfter) {
          if (runtime.position() < end) search.found = { position: runtime.position(), isHeld: false, stop: search.pendingAfter };
          search.pendingAfter = undefined;
          continue;
        }
        if (result.reason !== 'requested' && runtime.position() === here) break;
        if (isGuestStop(result.reason) || result.reason === 'waiting-for-input') break;
      }
    } finally {
      this.replayTarget = undefined;
      this.holdAt = undefined;
      this.isReplaying = false;
      this.search = undefined;
      if (hv) hv.shouldStopAtTrap = undefined;
      cpu.setBreakpoints([]);
      runtime.cpuBreakpoints.clearAliases();
    }
    return search.found;
  }
}

/** A stop reverse continue found: where, what to report, and whether a trap is held there. */
interface Found { position: number; stop: StopInfo; isHeld: boolean }
