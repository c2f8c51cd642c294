// Run control: continue, step, step over, step into and pause, run in slices
// (`SLICE_TICKS` guest ticks) with the event loop free between them, so
// `pause` is seen at once even in a guest that runs forever. It turns the
// result of each slice into a stop, an exit or more running. Going backwards
// is replay.ts's, one instruction at a time (step out, data breakpoints) is
// singleStep.ts's, and the hypervisor frame is hypervisorFrame.ts's. What a
// run asked for and holds (a pending stop, a held trap, a step watch...) is
// runState.ts's, which the simulator's observers feed; this module consumes it.

import { LineMap } from '../asm';
import { StopReason as CpuStopReason } from '../machine/cpu';
import { Op } from '../machine/isa';
import { RunResult } from '../machine/machine';
import * as path from 'path';
import { VirtualSystem } from '../hypervisor/system';
import { explainStop } from '../hypervisor/stopExplanation';
import type { Breakpoints } from './breakpoints';
import type { CpuBreakpoints } from './cpuBreakpoints';
import type { RunPosition } from './currentSystem';
import type { DivergenceFilter } from './divergenceFilter';
import { EvalContext } from './evaluate';
import { hexWord } from '../machine/format';
import type { FilterMatching } from './filterMatching';
import type { HypervisorFrameView } from './hypervisorFrame';
import type { ReplayStatus } from './replayMode';
import type { RunState } from './runState';
import type { RuntimeEvent, StopInfo } from './runtime';
import { SingleStep } from './singleStep';

export const SLICE_TICKS = 50_000;

export type Request = { kind: 'continue' } | { kind: 'step'; guest: number; isStepIn: boolean; isOver: boolean } | { kind: 'stepOut'; guest: number };

/** What one slice of running came to. */
export type Outcome = 'running' | 'stopped' | 'exited' | 'waiting';

export const EXIT_CODES: Partial<Record<CpuStopReason, number>> = {
  halted: 0,
  'triple-fault': 2,
  'bus-error': 3,
  'instruction-limit': 4,
  'exception-loop': 5,
};

export function isGuestStop(reason: CpuStopReason): boolean {
  return reason in EXIT_CODES;
}

export interface RunControlDeps {
  run: RunPosition & { readonly system: VirtualSystem };
  state: RunState;
  replay: Pick<ReplayStatus, 'replayTarget' | 'reaim'>;
  filters: Pick<FilterMatching, 'hasBeforeFilters' | 'shouldStopAtTrap'>;
  divergence: Pick<DivergenceFilter, 'ensure' | 'cap' | 'check'>;
  breakpoints: Breakpoints;
  cpuBreakpoints: Pick<CpuBreakpoints, 'refresh' | 'check'>;
  hvFrame: Pick<HypervisorFrameView, 'frame' | 'enter' | 'resume'>;
  /** Takes a snapshot for step back when one is due. */
  maybeSnapshot(): void;
  /** Guest 0's line map, to name where a guest that ended was. */
  lineMap: LineMap | undefined;
  isStopOnEntry: boolean;
  evalContext(g: number): EvalContext;
  /** Runs the system until it stops (the one way to run it, so a held delivery is delivered first). */
  runSystem(): RunResult;
  stop(stop: StopInfo): void;
  emit(event: RuntimeEvent): void;
  flushOutput(): void;
  /** A request starts running: the last stop is over, and a step focuses its guest. */
  onResume(request: Request): void;
}

export class RunControl {
  private running = false;
  private isPauseRequested = false;
  private waiting = false;
  private exited = false;
  private isFreshStart = false;
  private isDisposed = false;
  private readonly singleStep: SingleStep;

  constructor(private readonly deps: RunControlDeps) {
    this.singleStep = new SingleStep({
      run: deps.run,
      state: deps.state,
      divergence: deps.divergence,
      breakpoints: deps.breakpoints,
      cpuBreakpoints: deps.cpuBreakpoints,
      evalContext: deps.evalContext,
      runSystem: deps.runSystem,
      stop: deps.stop,
      loop: this,
    });
  }

  get isRunning(): boolean {
    return this.running;
  }
  get isWaitingForInput(): boolean {
    return this.waiting;
  }
  get hasExited(): boolean {
    return this.exited;
  }

  start(): void {
    const { deps } = this;
    if (deps.isStopOnEntry) deps.stop({ reason: 'entry', guest: 0, description: `stopped at the entry point ${hexWord(deps.run.target.pc(0))}` });
    else {
      // Nothing stopped at the entry yet: a breakpoint there must hit.
      this.isFreshStart = true;
      this.resume({ kind: 'continue' });
    }
  }

  pause(): void {
    if (this.waiting) {
      this.waiting = false;
      this.deps.stop({ reason: 'pause', guest: this.deps.run.target.currentGuest(), description: 'paused while the guest waits in hlt for keyboard input' });
      return;
    }
    if (this.running) this.isPauseRequested = true;
  }

  /** The user typed input: a guest that waited for it runs on. */
  inputTyped(): void {
    if (!this.waiting) return;
    this.waiting = false;
    this.resume({ kind: 'continue' });
  }

  /** Runs a request to its stop, slice by slice, yielding to the event loop in between. */
  resume(request: Request): void {
    const { deps } = this;
    if (this.running || this.exited) return;
    const fatal = deps.state.fatal;
    if (fatal) {
      this.exit(fatal.exitCode, fatal.detail);
      return;
    }
    if (deps.hvFrame.frame && deps.hvFrame.resume(request)) return;
    this.running = true;
    this.isPauseRequested = false;
    this.waiting = false;
    deps.onResume(request);
    deps.divergence.ensure();
    const driver = this.makeDriver(request);
    const loop = (): void => {
      // A disposed run (restart, terminate) ends here, silently: a stop now would reach the next session's client.
      if (this.isDisposed) {
        this.running = false;
        return;
      }
      let outcome: Outcome;
      try {
        outcome = driver();
      } catch (e) {
        // A JS exception here is a hyperstep bug; the session stays usable.
        this.running = false;
        this.clearRunState();
        deps.stop({ reason: 'exception', guest: deps.run.target.currentGuest(), exceptionId: 'internal-error', description: `internal error in hyperstep: ${(e as Error).stack ?? String(e)}` });
        return;
      }
      deps.flushOutput();
      if (outcome === 'running') {
        if (this.isPauseRequested) {
          this.running = false;
          this.clearRunState();
          deps.stop({ reason: 'pause', guest: deps.run.target.currentGuest(), description: 'paused' });
          return;
        }
        setImmediate(loop);
        return;
      }
      this.running = false;
      this.clearRunState();
      if (outcome === 'waiting') {
        this.waiting = true;
        deps.emit({ kind: 'output', category: 'console', text: 'hyperstep: the guest waits in hlt for keyboard input; type `input TEXT` (or `> TEXT`) in the debug console, or pause.\n' });
      }
    };
    loop();
  }

  private clearRunState(): void {
    this.deps.state.endRun();
    this.deps.cpuBreakpoints.refresh();
  }

  setupResume(): void {
    const { deps } = this;
    const target = deps.run.target;
    const cpu = target.cpu;
    deps.state.beginResume();
    cpu.skipBreakpointAt = this.isFreshStart ? -1 : cpu.pc;
    this.isFreshStart = false;
    const filters = deps.filters;
    if (target.hv) target.hv.shouldStopAtTrap = filters.hasBeforeFilters || deps.state.stepInGuest !== undefined ? filters.shouldStopAtTrap : undefined;
    deps.cpuBreakpoints.refresh();
  }

  private makeDriver(request: Request): () => Outcome {
    const { deps } = this;
    const state = deps.state;
    const target = deps.run.target;
    if (request.kind === 'continue') {
      if (deps.breakpoints.data.length > 0) return this.singleStep.driver({ kind: 'data' });
      this.setupResume();
      return () => this.continueSlice();
    }
    if (request.kind === 'stepOut') return this.singleStep.driver({ kind: 'out', guest: request.guest });
    const g = request.guest;
    const hv = target.hv;
    if (request.isStepIn && hv?.pendingTrap && hv.current.id === g) {
      return () => {
        deps.hvFrame.enter(g, state.lastTrapEvent);
        return 'stopped';
      };
    }
    const instr = target.peek(g, target.pc(g));
    if (request.isOver && !hv?.pendingTrap && (instr?.info.op === Op.CALL_I || instr?.info.op === Op.CALL_R) && target.currentGuest() === g) {
      state.setTempBreak({ guest: g, address: (target.pc(g) + instr.length) >>> 0, sp: target.regs(g)[15] >>> 0 });
      this.setupResume();
      return () => this.continueSlice();
    }
    if (request.isStepIn && hv) state.beginStepIn(g);
    this.setupResume();
    state.beginStepWatch(g);
    const startRetired = target.retired(g);
    return () => this.stepSlice(g, startRetired);
  }

  /** After a run that started with guest 0 at `retiredBefore` retired: the divergence stop, if the run reached it. */
  private divergenceStop(retiredBefore: number): boolean {
    const stop = this.deps.divergence.check(retiredBefore);
    if (!stop) return false;
    this.deps.state.clearPendingStop();
    this.deps.stop(stop);
    return true;
  }

  private continueSlice(): Outcome {
    const { deps } = this;
    const target = deps.run.target;
    const cpu = target.cpu;
    // Breakpoints that do not stop (conditions, logpoints) must not stretch the slice: it ends at a fixed tick.
    const sliceEnd = cpu.ticks + SLICE_TICKS;
    for (let guard = 0; guard < 10_000; guard++) {
      cpu.runUntilTick = deps.divergence.cap(Math.max(sliceEnd, cpu.ticks + 1));
      cpu.requestService();
      const retiredBefore = target.retired(0);
      const result = deps.runSystem();
      if (this.divergenceStop(retiredBefore)) return 'stopped';
      const outcome = this.afterRun(result);
      if (outcome === 'skip') continue;
      if (outcome === 'slice') {
        deps.maybeSnapshot();
        return 'running';
      }
      return outcome;
    }
    deps.maybeSnapshot();
    return 'running';
  }

  private stepSlice(g: number, startRetired: number): Outcome {
    const { deps } = this;
    const target = deps.run.target;
    const cpu = target.cpu;
    for (let guard = 0; guard < 100_000; guard++) {
      const isOurs = target.currentGuest() === g;
      cpu.runUntilTick = deps.divergence.cap(cpu.ticks + (isOurs && !cpu.isHalted ? 1 : SLICE_TICKS));
      cpu.requestService();
      const retiredBefore = target.retired(0);
      const result = deps.runSystem();
      if (this.divergenceStop(retiredBefore)) return 'stopped';
      if (result.reason === 'budget' && deps.state.stepWatch?.isDelivered === false && target.currentGuest() === g && target.retired(g) > startRetired) {
        deps.stop({ reason: 'step', guest: g, description: 'step' });
        return 'stopped';
      }
      const outcome = this.afterRun(result);
      if (outcome === 'skip') continue;
      if (outcome === 'slice') {
        if (guard % 1000 === 999) return 'running';
        continue;
      }
      return outcome;
    }
    return 'running';
  }

  /** What a run result means: a stop to report, a breakpoint to skip, or the end of a slice. */
  private afterRun(result: RunResult): Outcome | 'skip' | 'slice' {
    const { deps } = this;
    const state = deps.state;
    const target = deps.run.target;
    const cpu = target.cpu;
    const g = target.currentGuest();
    switch (result.reason) {
      case 'breakpoint': {
        const pc = cpu.pc >>> 0;
        const temp = state.tempBreak;
        if (temp && temp.guest === g && temp.address === pc && target.regs(g)[15] >>> 0 >= temp.sp) {
          deps.stop({ reason: 'step', guest: g, description: 'step over the call' });
          return 'stopped';
        }
        const hits = deps.cpuBreakpoints.check(g, pc, { isCounting: true });
        if (hits.length === 0) {
          cpu.skipBreakpointAt = cpu.pc;
          return 'skip';
        }
        const isInstruction = hits.every((h) => h.kind === 'instruction');
        deps.stop({ reason: isInstruction ? 'instruction breakpoint' : 'breakpoint', guest: g, description: `breakpoint at ${hexWord(pc)}`, hitBreakpointIds: hits.map((h) => h.id) });
        return 'stopped';
      }
      case 'requested': {
        const hv = target.hv;
        const stop = state.takePendingStop();
        if (stop) {
          if (state.stepWatch?.isDelivered && stop.reason !== 'exception') {
            deps.stop({ reason: 'step', guest: g, description: 'step into the exception handler' });
            return 'stopped';
          }
          deps.stop(stop);
          return 'stopped';
        }
        if ((hv?.pendingTrap || hv?.pendingGuestDelivery) && state.hasHeldTrap) {
          const { event, filterId } = state.takeHeldTrap()!;
          if (filterId) {
            deps.stop({ reason: 'exception', guest: event.guest, description: event.description, exceptionId: filterId, highlightVa: event.address });
            return 'stopped';
          }
          deps.hvFrame.enter(event.guest, event);
          return 'stopped';
        }
        const watch = state.stepWatch;
        if (watch?.isDelivered) {
          deps.stop({ reason: 'step', guest: watch.guest, description: 'step into the exception handler' });
          return 'stopped';
        }
        return 'skip';
      }
      case 'budget':
        return 'slice';
      case 'waiting-for-input':
        return 'waiting';
      default:
        if (isGuestStop(result.reason)) return this.guestEnded(result);
        return 'skip';
    }
  }

  guestEnded(result: RunResult): Outcome {
    const { deps } = this;
    const exitCode = EXIT_CODES[result.reason] ?? 1;
    if (result.reason === 'halted') {
      deps.flushOutput();
      this.exit(0, result.detail);
      return 'exited';
    }
    // The state stays inspectable; the next continue ends the session.
    const lineMap = deps.lineMap;
    const hints = explainStop(deps.run.system, result, (gpa) => {
      const line = lineMap?.lookup(gpa);
      return line ? `${path.basename(line.file)}:${line.line}` : undefined;
    });
    const detail = [result.detail, ...hints].join('\n');
    deps.state.endWith({ reason: result.reason, detail, exitCode });
    const g = deps.run.target.currentGuest();
    deps.stop({ reason: 'exception', guest: g, exceptionId: result.reason, description: detail });
    return 'stopped';
  }

  private exit(exitCode: number, description: string): void {
    if (this.exited) return;
    this.exited = true;
    this.running = false;
    this.deps.emit({ kind: 'output', category: 'console', text: `hyperstep: ${description} (exit code ${exitCode})\n` });
    this.deps.emit({ kind: 'exited', exitCode, description });
  }

  /** The hypervisor switched guests: a step of the guest now running re-aims its budget at one instruction (a replay at its target). */
  onGuestSwitch(): void {
    const { deps } = this;
    const cpu = deps.run.target.cpu;
    if (deps.replay.replayTarget !== undefined) {
      deps.replay.reaim();
      return;
    }
    const watch = deps.state.stepWatch;
    if (watch && watch.guest === deps.run.target.currentGuest() && !cpu.isHalted) {
      cpu.runUntilTick = cpu.ticks + 1;
      cpu.requestService();
    }
  }

  /** Runs a continue to its stop or the end without yielding (for the bench and tests of cost). */
  runToStop(): Outcome {
    this.deps.divergence.ensure();
    const driver = this.makeDriver({ kind: 'continue' });
    this.running = true;
    let outcome: Outcome = 'running';
    while (outcome === 'running') outcome = driver();
    this.running = false;
    this.clearRunState();
    return outcome;
  }

  /** Called on disconnect/terminate: stops running at once. */
  dispose(): void {
    this.isDisposed = true;
    this.isPauseRequested = true;
    this.exited = true;
  }
}
