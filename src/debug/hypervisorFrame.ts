// The hypervisor frame: step into at a held trap handles it with tracing on,
// and the frame then walks the pseudocode lines the handler went through,
// showing the guest state from before handling on the lines that change
// nothing yet and the state after handling from the first line that acts
// (README, "The hypervisor frame"). It does not decide when a trap is held
// (filterMatching.ts, runControl.ts) and keeps no history of its own. Step
// back moves the frame's line back (`stepBack`); only this module changes it.

import { PseudocodeLine } from '../hypervisor/pseudocode';
import { HypervisorEvent } from '../hypervisor/events';
import { VirtualSystem } from '../hypervisor/system';
import { RunResult } from '../machine/machine';
import type { CpuBreakpoints } from './cpuBreakpoints';
import type { RunPosition } from './currentSystem';
import type { FilterMatching } from './filterMatching';
import { EXIT_CODES, isGuestStop, Request, SLICE_TICKS } from './runControl';
import type { RunState } from './runState';
import type { RuntimeBookkeeping, StopInfo } from './runtime';

export interface HypervisorFrameDeps {
  run: RunPosition & { readonly system: VirtualSystem };
  state: Pick<RunState, 'suspendStepWatch' | 'resumeStepWatch' | 'clearPendingStop' | 'endWith'>;
  filters: Pick<FilterMatching, 'suppress'>;
  cpuBreakpoints: Pick<CpuBreakpoints, 'clearAliases'>;
  /** The runtime's own state beside the system's (run position, handler frames), saved and loaded with it. */
  bookkeeping(): RuntimeBookkeeping;
  loadBookkeeping(saved: RuntimeBookkeeping): void;
  runSystem(): RunResult;
  stop(stop: StopInfo): void;
}

export interface HypervisorFrame {
  guest: number;
  trace: PseudocodeLine[];
  index: number;
  /** Guest pc of the trapping instruction. */
  trapPc: number;
  description: string;
  vector?: number;
  errorCode?: number;
  address?: number;
  /** Run position of the stop before the trap was handled. */
  position: number;
}

/**
 * Pseudocode lines at which the hypervisor has not changed the guest's state
 * yet: while the hypervisor frame is on one of these (before any other line of
 * the trace), the state from before handling is shown; from the first other
 * line on, the state after handling.
 */
const PRE_EFFECT_LINES = new Set<PseudocodeLine>(['entry', 'check-gp', 'decode', 'check-pf', 'walk', 'check-vmcall', 'reflect-start', 'reflect-stack']);

/** A saved system state with the runtime's bookkeeping at that moment. */
interface SavedState {
  state: unknown;
  runtime: RuntimeBookkeeping;
}

export class HypervisorFrameView {
  private shown: HypervisorFrame | undefined;
  /** The states the hypervisor frame shows: before handling (on the first lines) and after. */
  private hvFrameStates: { before: SavedState | undefined; after: SavedState; firstEffect: number; shown: 'before' | 'after' } | undefined;

  constructor(private readonly deps: HypervisorFrameDeps) {}

  /** The hypervisor frame shown now (step into at a held trap), if any. */
  get frame(): Readonly<HypervisorFrame> | undefined {
    return this.shown;
  }

  /** Handles the held-back trap with tracing on and shows the hypervisor frame at its first line. */
  enter(g: number, event: HypervisorEvent | undefined): void {
    const { deps } = this;
    const target = deps.run.target;
    const hv = target.hv!;
    const cpu = target.cpu;
    const trap = hv.pendingTrap;
    const trapPc = cpu.pc >>> 0;
    const position = deps.run.position();
    const before: SavedState = { state: deps.run.system.saveState(), runtime: deps.bookkeeping() };
    deps.filters.suppress(true);
    hv.isTracing = true;
    hv.trace = [];
    const savedWatch = deps.state.suspendStepWatch();
    cpu.stopRequest = 'requested';
    cpu.requestService();
    cpu.runUntilTick = cpu.ticks + SLICE_TICKS;
    const result = deps.runSystem();
    hv.isTracing = false;
    deps.filters.suppress(false);
    deps.state.resumeStepWatch(savedWatch);
    deps.state.clearPendingStop();
    const trace = hv.trace.length > 0 ? [...hv.trace] : ['entry' as PseudocodeLine];
    this.shown = {
      guest: g,
      trace,
      index: 0,
      trapPc,
      position,
      description: event?.description ?? `trap ${trap?.vector ?? '?'}`,
      vector: trap?.vector,
      errorCode: trap?.errorCode,
      address: trap?.faultAddress,
    };
    const firstEffect = trace.findIndex((line) => !PRE_EFFECT_LINES.has(line));
    this.hvFrameStates = {
      before,
      after: { state: deps.run.system.saveState(), runtime: deps.bookkeeping() },
      firstEffect: firstEffect < 0 ? trace.length : firstEffect,
      shown: 'after',
    };
    this.show();
    if (isGuestStop(result.reason) && result.reason !== 'halted') deps.state.endWith({ reason: result.reason, detail: result.detail, exitCode: EXIT_CODES[result.reason] ?? 1 });
    deps.stop({ reason: 'step', guest: g, description: `hypervisor: ${this.shown.description}` });
  }

  /** Stepping while the hypervisor frame is shown moves through its pseudocode lines. */
  resume(request: Request): boolean {
    const frame = this.shown!;
    if (request.kind === 'step') {
      frame.index++;
      if (frame.index < frame.trace.length) {
        this.show();
        this.deps.stop({ reason: 'step', guest: frame.guest, description: `hypervisor: ${frame.trace[frame.index]}` });
        return true;
      }
    }
    this.leave();
    if (request.kind === 'continue') return false;
    this.deps.stop({ reason: 'step', guest: frame.guest, description: 'back in the guest' });
    return true;
  }

  /** Loads the state the hypervisor frame's current line shows (before or after handling); after handling once the frame is gone. */
  private show(): void {
    const states = this.hvFrameStates;
    if (!states) return;
    const frame = this.shown;
    const want = frame && states.before && frame.index < states.firstEffect ? 'before' : 'after';
    if (!frame) this.hvFrameStates = undefined;
    if (want === states.shown) return;
    const saved = want === 'before' ? states.before! : states.after;
    const { deps } = this;
    const target = deps.run.target;
    deps.run.system.loadState(saved.state);
    deps.loadBookkeeping(saved.runtime);
    if (target.hv && want === 'after') target.hv.pendingTrap = undefined;
    target.cpu.stopRequest = undefined;
    deps.cpuBreakpoints.clearAliases();
    states.shown = want;
  }

  /** Leaves the hypervisor frame with the state after handling in place. */
  leave(): void {
    this.shown = undefined;
    this.show();
  }

  /** Step back in the frame: the previous pseudocode line. False at the first line (step back leaves the frame). */
  backOneLine(): boolean {
    const frame = this.shown;
    if (!frame || frame.index === 0) return false;
    frame.index--;
    this.show();
    this.deps.stop({ reason: 'step', guest: frame.guest, description: `hypervisor: ${frame.trace[frame.index]}` });
    return true;
  }

  /** Drops the frame and its states without loading either (a replay put the system elsewhere). */
  forget(): void {
    this.shown = undefined;
    this.hvFrameStates = undefined;
  }

  /** In the hypervisor frame, edits apply to the state after handling, which every line then shows. */
  showAfterHandlingForEdit(): void {
    if (this.hvFrameStates) {
      this.hvFrameStates.before = undefined;
      this.show();
    }
  }
}
