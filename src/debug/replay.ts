// Going back in the run: snapshots taken while running forward, step back and
// reverse continue. Both restore the nearest snapshot before the target
// position and replay forward to it quietly (no filters, no breakpoints, no
// handler frames pushed), making the user's interventions again at their
// positions; this rests on a run being a pure function of image, config and
// input. What the snapshots hold and how many are kept is history.ts's. The
// replay mode the observers read (replayMode.ts) is changed only here.

import { VirtualSystem } from '../hypervisor/system';
import { RunResult } from '../machine/machine';
import type { CpuBreakpoints } from './cpuBreakpoints';
import type { CurrentSystem } from './currentSystem';
import { hexWord } from '../machine/format';
import type { FilterMatching } from './filterMatching';
import { estimateBytes, History, Snapshot } from './history';
import type { HypervisorFrameView } from './hypervisorFrame';
import type { ReplayMode } from './replayMode';
import { isGuestStop } from './runControl';
import type { RunState } from './runState';
import type { RuntimeBookkeeping, StopInfo } from './runtime';
import type { SimulatorEvents } from './simulatorEvents';
import type { Timeline } from './timeline';

export interface ReplayDeps {
  run: Pick<CurrentSystem, 'target' | 'system' | 'position'>;
  mode: ReplayMode;
  history: History<RuntimeBookkeeping>;
  state: Pick<RunState, 'clearFatal' | 'takePendingStop' | 'clearPendingStop' | 'takeTrapMatches'>;
  filters: Pick<FilterMatching, 'shouldStopAtTrap' | 'hasBeforeFilters'>;
  hvFrame: Pick<HypervisorFrameView, 'frame' | 'leave' | 'forget' | 'backOneLine'>;
  cpuBreakpoints: Pick<CpuBreakpoints, 'clearAliases' | 'refresh' | 'check'>;
  simulatorEvents: Pick<SimulatorEvents, 'dropHeldDelivery'>;
  timeline: Pick<Timeline, 'dropAfter'>;
  bookkeeping(): RuntimeBookkeeping;
  loadBookkeeping(saved: RuntimeBookkeeping): void;
  /** Puts a fresh system in place (a replay from the start of the run). */
  reinstall(): void;
  runSystem(): RunResult;
  stop(stop: StopInfo): void;
}

export class Replay {
  constructor(private readonly deps: ReplayDeps) {}

  maybeSnapshot(): void {
    const { deps } = this;
    const system = deps.run.system as VirtualSystem & { saveState?: () => unknown };
    const target = deps.run.target;
    const position = deps.run.position();
    if (typeof system.saveState !== 'function' || !deps.history.isDue(position) || target.hv?.pendingTrap || target.hv?.pendingGuestDelivery || target.machine?.pendingException) return;
    const state = system.saveState();
    deps.history.add({ position, state, runtime: deps.bookkeeping(), nInterventions: deps.history.interventions.length, bytes: estimateBytes(state) });
  }

  /**
   * Puts the system at the first instruction boundary at or after `position`,
   * replaying from a snapshot. With `isTrapHeld`, the trap raised at `position`
   * is held before it is handled or delivered, as a trap filter holds it.
   */
  goTo(position: number, options: { isTrapHeld?: boolean } = {}): void {
    const { deps } = this;
    const mode = deps.mode;
    const snapshot = deps.history.nearest(position);
    this.restore(snapshot);
    const interventions = deps.history.interventions.slice(snapshot.nInterventions).filter((i) => i.position <= position);
    // The hypervisor asks before each trap only when one is to be held.
    const hv = deps.run.target.hv;
    if (hv && (options.isTrapHeld || interventions.some((i) => i.isTrapHeld))) hv.shouldStopAtTrap = deps.filters.shouldStopAtTrap;
    mode.setReplaying(true);
    try {
      for (const intervention of interventions) {
        // An edit made at a held trap is made again there, before the trap is handled or delivered.
        mode.holdTrapAt(intervention.isTrapHeld ? intervention.position : undefined);
        this.runTo(intervention.position);
        intervention.apply();
      }
      mode.holdTrapAt(options.isTrapHeld ? position : undefined);
      this.runTo(position);
    } finally {
      mode.setReplaying(false);
      mode.holdTrapAt(undefined);
      if (deps.run.target.hv) deps.run.target.hv.shouldStopAtTrap = undefined;
    }
    deps.hvFrame.forget();
    deps.state.clearFatal();
    deps.cpuBreakpoints.clearAliases();
  }

  private restore(snapshot: Snapshot<RuntimeBookkeeping>): void {
    const { deps } = this;
    const system = deps.run.system as VirtualSystem & { loadState?: (state: unknown) => void };
    if (snapshot.state !== undefined && typeof system.loadState === 'function') {
      system.loadState(snapshot.state);
      deps.loadBookkeeping(snapshot.runtime);
    } else {
      deps.reinstall();
    }
    const target = deps.run.target;
    if (target.hv) {
      target.hv.pendingTrap = undefined;
      target.hv.pendingGuestDelivery = undefined;
      target.hv.shouldStopAtTrap = undefined;
    }
    target.cpu.setBreakpoints([]);
    target.cpu.stopRequest = undefined;
    deps.simulatorEvents.dropHeldDelivery();
    deps.timeline.dropAfter(snapshot.position);
  }

  /** Runs (quietly) to the first boundary at or after `position`. */
  private runTo(position: number): void {
    const { deps } = this;
    const cpu = deps.run.target.cpu;
    deps.mode.aim(position);
    try {
      for (let guard = 0; guard < 1_000_000; guard++) {
        const before = deps.run.position();
        if (before >= position) return;
        cpu.runUntilTick = cpu.ticks + (position - before);
        cpu.requestService();
        const result = deps.runSystem();
        if (result.reason === 'breakpoint') {
          cpu.skipBreakpointAt = cpu.pc;
          continue;
        }
        if (isGuestStop(result.reason) || result.reason === 'waiting-for-input') return;
        if (deps.run.position() === before && result.reason !== 'requested') return;
      }
    } finally {
      deps.mode.aim(undefined);
    }
  }

  /** A summary of the thread's state that tells a meaningful step (pc or retired count moved). */
  private stateKey(g: number): string {
    const target = this.deps.run.target;
    return `${target.pc(g)}:${target.retired(g)}:${target.isUser(g)}`;
  }

  /** The last boundary before `position` at which guest g's pc or retired count differs from now. */
  private previousBoundary(g: number, position: number): number {
    const currentKey = this.stateKey(g);
    for (let back = 64; ; back *= 8) {
      const start = Math.max(0, position - back);
      this.goTo(start);
      let best: number | undefined;
      this.deps.mode.setReplaying(true);
      try {
        for (let guard = 0; guard < 10 * back + 100; guard++) {
          const here = this.deps.run.position();
          if (here >= position) break;
          if (this.stateKey(g) !== currentKey || here === 0) best = here;
          this.runTo(here + 1);
          if (this.deps.run.position() === here) break;
        }
      } finally {
        this.deps.mode.setReplaying(false);
      }
      if (best !== undefined || start === 0) return best ?? 0;
    }
  }

  /** Step back (the caller checks the run is stopped): one pseudocode line in the hypervisor frame, else the previous boundary where guest's state differs. */
  stepBack(guest: number): void {
    const { deps } = this;
    const hvFrame = deps.hvFrame;
    const frame = hvFrame.frame;
    if (frame) {
      if (hvFrame.backOneLine()) return;
      hvFrame.leave();
      this.goTo(Math.max(0, frame.position - 1));
      deps.stop({ reason: 'step', guest: frame.guest, description: 'stepped back out of the hypervisor, before the trap' });
      return;
    }
    const position = deps.run.position();
    if (position === 0) {
      deps.stop({ reason: 'step', guest, description: 'at the start of the run: nothing to step back to' });
      return;
    }
    const target = this.previousBoundary(guest, position);
    this.goTo(target);
    deps.stop({ reason: 'step', guest, description: `stepped back to run position ${target}` });
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
    const { deps } = this;
    deps.hvFrame.leave();
    const end = deps.run.position();
    let found: Found | undefined;
    for (const snapshot of deps.history.startsBefore(end)) {
      found = this.searchFrom(snapshot.position, end);
      if (found) break;
    }
    if (found) {
      this.goTo(found.position, { isTrapHeld: found.isHeld });
      const stop = found.stop;
      deps.stop({ ...stop, description: `reverse continue: ${stop.description}` });
    } else {
      this.goTo(0);
      deps.stop({ reason: 'entry', guest, description: 'reverse continue reached the start of the run' });
    }
  }

  /** Replays quietly from the snapshot at `start` to `end`, recording every stop on the way; the latest. */
  private searchFrom(start: number, end: number): Found | undefined {
    const { deps } = this;
    this.goTo(start);
    const cpu = deps.run.target.cpu;
    let found: Found | undefined;
    // Trap-filter matches (pushed by the filters as the trap is raised) come before the stop the run ended at.
    const takeTrapMatches = (): void => {
      for (const match of deps.state.takeTrapMatches()) if (match.position < end) found = { position: match.position, stop: match.stop, isHeld: true };
    };
    deps.state.clearPendingStop();
    deps.state.takeTrapMatches();
    deps.mode.setSearching(true);
    const hv = deps.run.target.hv;
    // The user's edits between the snapshot and the end are made again on the way, as goTo makes them.
    const interventions = deps.history.interventions.filter((i) => i.position > start && i.position < end);
    if (hv && (deps.filters.hasBeforeFilters || interventions.some((i) => i.isTrapHeld))) hv.shouldStopAtTrap = deps.filters.shouldStopAtTrap;
    let next = 0;
    try {
      // Aliases follow the page tables: computed for the current address space and again at each cr3 load or invlpg.
      deps.cpuBreakpoints.clearAliases();
      deps.cpuBreakpoints.refresh();
      for (let guard = 0; guard < 1_000_000; guard++) {
        const here = deps.run.position();
        while (next < interventions.length && interventions[next].position <= here) interventions[next++].apply();
        if (here >= end) break;
        const stopAt = next < interventions.length ? interventions[next].position : end;
        deps.mode.holdTrapAt(next < interventions.length && interventions[next].isTrapHeld ? stopAt : undefined);
        deps.mode.aim(stopAt);
        cpu.runUntilTick = cpu.ticks + (stopAt - here);
        cpu.requestService();
        const result = deps.runSystem();
        takeTrapMatches();
        if (result.reason === 'breakpoint') {
          const g = deps.run.target.currentGuest();
          const pc = cpu.pc >>> 0;
          const hits = deps.cpuBreakpoints.check(g, pc, { isCounting: false });
          if (hits.length > 0 && deps.run.position() < end) {
            const isInstruction = hits.every((h) => h.kind === 'instruction');
            found = {
              position: deps.run.position(),
              isHeld: false,
              stop: { reason: isInstruction ? 'instruction breakpoint' : 'breakpoint', guest: g, description: `breakpoint at ${hexWord(pc)}`, hitBreakpointIds: hits.map((h) => h.id) },
            };
          }
          cpu.skipBreakpointAt = cpu.pc;
          continue;
        }
        // An event filter matched: its stop is the next instruction boundary, as when running forward.
        const afterHit = result.reason === 'requested' ? deps.state.takePendingStop() : undefined;
        if (afterHit) {
          if (deps.run.position() < end) found = { position: deps.run.position(), isHeld: false, stop: afterHit };
          continue;
        }
        if (result.reason !== 'requested' && deps.run.position() === here) break;
        if (isGuestStop(result.reason) || result.reason === 'waiting-for-input') break;
      }
    } finally {
      deps.mode.aim(undefined);
      deps.mode.holdTrapAt(undefined);
      deps.mode.setSearching(false);
      deps.state.clearPendingStop();
      deps.state.takeTrapMatches();
      if (hv) hv.shouldStopAtTrap = undefined;
      cpu.setBreakpoints([]);
      deps.cpuBreakpoints.clearAliases();
    }
    return found;
  }
}

/** A stop reverse continue found: where, what to report, and whether a trap is held there. */
interface Found {
  position: number;
  stop: StopInfo;
  isHeld: boolean;
}
