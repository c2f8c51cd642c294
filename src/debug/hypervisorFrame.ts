// The hypervisor frame: step into at a held trap handles it with tracing on,
// and the frame then walks the pseudocode lines the handler went through,
// showing the guest state from before handling on the lines that change
// nothing yet and the state after handling from the first line that acts
// (README, "The hypervisor frame"). It does not decide when a trap is held
// (filterMatching.ts, runControl.ts) and keeps no history of its own.

import { PseudocodeLine } from '../hypervisor/pseudocode';
import { HypervisorEvent } from '../hypervisor/events';
import { EXIT_CODES, isGuestStop, Request, SLICE_TICKS } from './runControl';
import type { DebugRuntime, RuntimeBookkeeping } from './runtime';

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
interface SavedState { state: unknown; runtime: RuntimeBookkeeping }

export class HypervisorFrameView {
  frame: HypervisorFrame | undefined;
  /** The states the hypervisor frame shows: before handling (on the first lines) and after. */
  private hvFrameStates: { before: SavedState | undefined; after: SavedState; firstEffect: number; shown: 'before' | 'after' } | undefined;

  constructor(private readonly runtime: DebugRuntime) {}

  /** Handles the held-back trap with tracing on and shows the hypervisor frame at its first line. */
  enter(g: number, event: HypervisorEvent | undefined): void {
    const runtime = this.runtime;
    const control = runtime.control;
    const hv = runtime.target.hv!;
    const cpu = runtime.target.cpu;
    const trap = hv.pendingTrap;
    const trapPc = cpu.pc >>> 0;
    const position = runtime.position();
    const before: SavedState = { state: runtime.system.saveState(), runtime: runtime.bookkeeping() };
    runtime.exceptionFilters.isSuppressed = true;
    hv.isTracing = true;
    hv.trace = [];
    const savedWatch = control.stepWatch;
    control.stepWatch = undefined;
    cpu.stopRequest = 'requested';
    cpu.requestService();
    cpu.runUntilTick = cpu.ticks + SLICE_TICKS;
    const result = runtime.run();
    hv.isTracing = false;
    runtime.exceptionFilters.isSuppressed = false;
    control.stepWatch = savedWatch;
    control.pendingStop = undefined;
    const trace = hv.trace.length > 0 ? [...hv.trace] : ['entry' as PseudocodeLine];
    this.frame = {
      guest: g, trace, index: 0, trapPc, position,
      description: event?.description ?? `trap ${trap?.vector ?? '?'}`,
      vector: trap?.vector, errorCode: trap?.errorCode, address: trap?.faultAddress,
    };
    const firstEffect = trace.findIndex((line) => !PRE_EFFECT_LINES.has(line));
    this.hvFrameStates = {
      before, after: { state: runtime.system.saveState(), runtime: runtime.bookkeeping() },
      firstEffect: firstEffect < 0 ? trace.length : firstEffect, shown: 'after',
    };
    this.show();
    if (isGuestStop(result.reason) && result.reason !== 'halted') control.fatal = { reason: result.reason, detail: result.detail, exitCode: EXIT_CODES[result.reason] ?? 1 };
    runtime.stop({ reason: 'step', guest: g, description: `hypervisor: ${this.frame.description}` });
  }

  /** Stepping while the hypervisor frame is shown moves through its pseudocode lines. */
  resume(request: Request): boolean {
    const frame = this.frame!;
    if (request.kind === 'step') {
      frame.index++;
      if (frame.index < frame.trace.length) {
        this.show();
        this.runtime.stop({ reason: 'step', guest: frame.guest, description: `hypervisor: ${frame.trace[frame.index]}` });
        return true;
      }
    }
    this.leave();
    if (request.kind === 'continue') return false;
    this.runtime.stop({ reason: 'step', guest: frame.guest, description: 'back in the guest' });
    return true;
  }

  /** Loads the state the hypervisor frame's current line shows (before or after handling); after handling once the frame is gone. */
  show(): void {
    const states = this.hvFrameStates;
    if (!states) return;
    const frame = this.frame;
    const want = frame && states.before && frame.index < states.firstEffect ? 'before' : 'after';
    if (!frame) this.hvFrameStates = undefined;
    if (want === states.shown) return;
    const saved = want === 'before' ? states.before! : states.after;
    const runtime = this.runtime;
    runtime.system.loadState(saved.state);
    runtime.loadBookkeeping(saved.runtime);
    if (runtime.target.hv && want === 'after') runtime.target.hv.pendingTrap = undefined;
    runtime.target.cpu.stopRequest = undefined;
    runtime.cpuBreakpoints.clearAliases();
    states.shown = want;
  }

  /** Leaves the hypervisor frame with the state after handling in place. */
  leave(): void {
    this.frame = undefined;
    this.show();
  }

  /** Drops the frame and its states without loading either (a replay put the system elsewhere). */
  forget(): void {
    this.frame = undefined;
    this.hvFrameStates = undefined;
  }

  /** In the hypervisor frame, edits apply to the state after handling, which every line then shows. */
  showAfterHandlingForEdit(): void {
    if (this.hvFrameStates) { this.hvFrameStates.before = undefined; this.show(); }
  }
}
