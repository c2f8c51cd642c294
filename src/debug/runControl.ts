// Run control: continue, step, step over, step into and pause, run in slices
// (`SLICE_TICKS` guest ticks) with the event loop free between them, so
// `pause` is seen at once even in a guest that runs forever. It turns the
// result of each slice into a stop, an exit or more running. Going backwards
// is replay.ts's, one instruction at a time (step out, data breakpoints) is
// singleStep.ts's, and the hypervisor frame is hypervisorFrame.ts's.

import { StopReason as CpuStopReason } from '../machine/cpu';
import { Op } from '../machine/isa';
import { RunResult } from '../machine/machine';
import * as path from 'path';
import { HypervisorEvent } from '../hypervisor/events';
import { explainStop } from '../hypervisor/stopExplanation';
import { hex8 } from './evaluate';
import type { DebugRuntime, RuntimeEvent, StopInfo, SyncRunResult } from './runtime';

export const SLICE_TICKS = 50_000;

export type Request =
  | { kind: 'continue' }
  | { kind: 'step'; guest: number; isStepIn: boolean; isOver: boolean }
  | { kind: 'stepOut'; guest: number };

/** What one slice of running came to. */
export type Outcome = 'running' | 'stopped' | 'exited' | 'waiting';

interface Fatal { reason: CpuStopReason; detail: string; exitCode: number }

export const EXIT_CODES: Partial<Record<CpuStopReason, number>> = {
  'halted': 0, 'triple-fault': 2, 'bus-error': 3, 'instruction-limit': 4, 'exception-loop': 5,
};

export function isGuestStop(reason: CpuStopReason): boolean {
  return reason in EXIT_CODES;
}

export class RunControl {
  /** A stop an event asked for during the run, reported when the CPU stops. */
  pendingStop: StopInfo | undefined;
  /** A trap the hypervisor holds before handling it (a trap filter matched, or step into waits for it). */
  trapStop: { event: HypervisorEvent; filterId?: string } | undefined;
  stepWatch: { guest: number; isDelivered: boolean } | undefined;
  stepInGuest: number | undefined;
  tempBreak: { guest: number; address: number; sp: number } | undefined;
  lastTrapEvent: HypervisorEvent | undefined;
  fatal: Fatal | undefined;
  isRunning = false;
  isPauseRequested = false;
  isWaitingForInput = false;
  hasExited = false;
  private isFreshStart = false;
  private isDisposed = false;

  constructor(private readonly runtime: DebugRuntime) {}

  start(): void {
    const runtime = this.runtime;
    if (runtime.config.isStopOnEntry) runtime.stop({ reason: 'entry', guest: 0, description: `stopped at the entry point ${hex8(runtime.target.pc(0))}` });
    else {
      // Nothing stopped at the entry yet: a breakpoint there must hit.
      this.isFreshStart = true;
      this.resume({ kind: 'continue' });
    }
  }

  pause(): void {
    if (this.isWaitingForInput) {
      this.isWaitingForInput = false;
      this.runtime.stop({ reason: 'pause', guest: this.runtime.target.currentGuest(), description: 'paused while the guest waits in hlt for keyboard input' });
      return;
    }
    if (this.isRunning) this.isPauseRequested = true;
  }

  /** Runs a request to its stop, slice by slice, yielding to the event loop in between. */
  resume(request: Request): void {
    const runtime = this.runtime;
    if (this.isRunning || this.hasExited) return;
    if (this.fatal) { this.exit(this.fatal.exitCode, this.fatal.detail); return; }
    if (runtime.hvFrame.frame && runtime.hvFrame.resume(request)) return;
    this.isRunning = true;
    this.isPauseRequested = false;
    this.isWaitingForInput = false;
    runtime.lastStop = undefined;
    if (request.kind !== 'continue') runtime.focusGuest = request.guest;
    runtime.divergence.ensure();
    const driver = this.makeDriver(request);
    const loop = (): void => {
      // A disposed run (restart, terminate) ends here, silently: a stop now would reach the next session's client.
      if (this.isDisposed) { this.isRunning = false; return; }
      let outcome: Outcome;
      try {
        outcome = driver();
      } catch (e) {
        // A JS exception here is a hyperstep bug; the session stays usable.
        this.isRunning = false;
        this.clearRunState();
        runtime.stop({ reason: 'exception', guest: runtime.target.currentGuest(), exceptionId: 'internal-error', description: `internal error in hyperstep: ${(e as Error).stack ?? String(e)}` });
        return;
      }
      runtime.output.flush();
      if (outcome === 'running') {
        if (this.isPauseRequested) {
          this.isRunning = false;
          this.clearRunState();
          runtime.stop({ reason: 'pause', guest: runtime.target.currentGuest(), description: 'paused' });
          return;
        }
        setImmediate(loop);
        return;
      }
      this.isRunning = false;
      this.clearRunState();
      if (outcome === 'waiting') {
        this.isWaitingForInput = true;
        runtime.emit({ kind: 'output', category: 'console', text: 'hyperstep: the guest waits in hlt for keyboard input; type `input TEXT` (or `> TEXT`) in the debug console, or pause.\n' });
      }
    };
    loop();
  }

  private clearRunState(): void {
    this.stepWatch = undefined;
    this.stepInGuest = undefined;
    this.tempBreak = undefined;
    this.pendingStop = undefined;
    this.trapStop = undefined;
    this.runtime.cpuBreakpoints.refresh();
  }

  setupResume(): void {
    const runtime = this.runtime;
    const cpu = runtime.target.cpu;
    this.pendingStop = undefined;
    this.trapStop = undefined;
    cpu.skipBreakpointAt = this.isFreshStart ? -1 : cpu.pc;
    this.isFreshStart = false;
    const filters = runtime.exceptionFilters;
    if (runtime.target.hv) runtime.target.hv.shouldStopAtTrap = filters.hasBeforeFilters || this.stepInGuest !== undefined ? filters.shouldStopAtTrap : undefined;
    runtime.cpuBreakpoints.refresh();
  }

  private makeDriver(request: Request): () => Outcome {
    const runtime = this.runtime;
    const target = runtime.target;
    if (request.kind === 'continue') {
      if (runtime.breakpoints.data.length > 0) return runtime.singleStep.driver({ kind: 'data' });
      this.setupResume();
      return () => this.continueSlice();
    }
    if (request.kind === 'stepOut') return runtime.singleStep.driver({ kind: 'out', guest: request.guest });
    const g = request.guest;
    const hv = target.hv;
    if (request.isStepIn && hv?.pendingTrap && hv.current.id === g) {
      return () => { runtime.hvFrame.enter(g, this.lastTrapEvent); return 'stopped'; };
    }
    const instr = target.peek(g, target.pc(g));
    if (request.isOver && !hv?.pendingTrap && (instr?.info.op === Op.CALL_I || instr?.info.op === Op.CALL_R) && target.currentGuest() === g) {
      this.tempBreak = { guest: g, address: (target.pc(g) + instr.length) >>> 0, sp: target.regs(g)[15] >>> 0 };
      this.setupResume();
      return () => this.continueSlice();
    }
    if (request.isStepIn && hv) this.stepInGuest = g;
    this.setupResume();
    this.stepWatch = { guest: g, isDelivered: false };
    const startRetired = target.retired(g);
    return () => this.stepSlice(g, startRetired);
  }

  private continueSlice(): Outcome {
    const runtime = this.runtime;
    const cpu = runtime.target.cpu;
    // Breakpoints that do not stop (conditions, logpoints) must not stretch the slice: it ends at a fixed tick.
    const sliceEnd = cpu.ticks + SLICE_TICKS;
    for (let guard = 0; guard < 10_000; guard++) {
      cpu.runUntilTick = runtime.divergence.cap(Math.max(sliceEnd, cpu.ticks + 1));
      cpu.requestService();
      const retiredBefore = runtime.target.retired(0);
      const result = runtime.run();
      if (runtime.divergence.check(retiredBefore)) return 'stopped';
      const outcome = this.afterRun(result);
      if (outcome === 'skip') continue;
      if (outcome === 'slice') { runtime.replay.maybeSnapshot(); return 'running'; }
      return outcome;
    }
    runtime.replay.maybeSnapshot();
    return 'running';
  }

  private stepSlice(g: number, startRetired: number): Outcome {
    const runtime = this.runtime;
    const cpu = runtime.target.cpu;
    for (let guard = 0; guard < 100_000; guard++) {
      const isOurs = runtime.target.currentGuest() === g;
      cpu.runUntilTick = runtime.divergence.cap(cpu.ticks + (isOurs && !cpu.isHalted ? 1 : SLICE_TICKS));
      cpu.requestService();
      const retiredBefore = runtime.target.retired(0);
      const result = runtime.run();
      if (runtime.divergence.check(retiredBefore)) return 'stopped';
      if (result.reason === 'budget' && this.stepWatch?.isDelivered === false && runtime.target.currentGuest() === g && runtime.target.retired(g) > startRetired) {
        runtime.stop({ reason: 'step', guest: g, description: 'step' });
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
    const runtime = this.runtime;
    const target = runtime.target;
    const cpu = target.cpu;
    const g = target.currentGuest();
    switch (result.reason) {
      case 'breakpoint': {
        const pc = cpu.pc >>> 0;
        const temp = this.tempBreak;
        if (temp && temp.guest === g && temp.address === pc && (target.regs(g)[15] >>> 0) >= temp.sp) {
          runtime.stop({ reason: 'step', guest: g, description: 'step over the call' });
          return 'stopped';
        }
        const hits = runtime.cpuBreakpoints.check(g, pc, { isCounting: true });
        if (hits.length === 0) { cpu.skipBreakpointAt = cpu.pc; return 'skip'; }
        const isInstruction = hits.every((h) => h.kind === 'instruction');
        runtime.stop({ reason: isInstruction ? 'instruction breakpoint' : 'breakpoint', guest: g, description: `breakpoint at ${hex8(pc)}`, hitBreakpointIds: hits.map((h) => h.id) });
        return 'stopped';
      }
      case 'requested': {
        const hv = target.hv;
        if (this.pendingStop) {
          const stop = this.pendingStop;
          this.pendingStop = undefined;
          if (this.stepWatch?.isDelivered && stop.reason !== 'exception') { runtime.stop({ reason: 'step', guest: g, description: 'step into the exception handler' }); return 'stopped'; }
          runtime.stop(stop);
          return 'stopped';
        }
        if ((hv?.pendingTrap || hv?.pendingGuestDelivery) && this.trapStop) {
          const { event, filterId } = this.trapStop;
          this.trapStop = undefined;
          this.lastTrapEvent = event;
          if (filterId) {
            runtime.stop({ reason: 'exception', guest: event.guest, description: event.description, exceptionId: filterId, highlightVa: event.address });
            return 'stopped';
          }
          runtime.hvFrame.enter(event.guest, event);
          return 'stopped';
        }
        if (this.stepWatch?.isDelivered) {
          runtime.stop({ reason: 'step', guest: this.stepWatch.guest, description: 'step into the exception handler' });
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
    const runtime = this.runtime;
    const exitCode = EXIT_CODES[result.reason] ?? 1;
    if (result.reason === 'halted') {
      runtime.output.flush();
      this.exit(0, result.detail);
      return 'exited';
    }
    // The state stays inspectable; the next continue ends the session.
    const lineMap = runtime.lineMaps[0];
    const hints = explainStop(runtime.system, result, (gpa) => { const line = lineMap?.lookup(gpa); return line ? `${path.basename(line.file)}:${line.line}` : undefined; });
    const detail = [result.detail, ...hints].join('\n');
    this.fatal = { reason: result.reason, detail, exitCode };
    const g = runtime.target.currentGuest();
    runtime.stop({ reason: 'exception', guest: g, exceptionId: result.reason, description: detail });
    return 'stopped';
  }

  private exit(exitCode: number, description: string): void {
    if (this.hasExited) return;
    this.hasExited = true;
    this.isRunning = false;
    this.runtime.emit({ kind: 'output', category: 'console', text: `hyperstep: ${description} (exit code ${exitCode})\n` });
    this.runtime.emit({ kind: 'exited', exitCode, description });
  }

  requestStop(stop: StopInfo): void {
    if (!this.pendingStop) this.pendingStop = stop;
    this.requestCpuStop();
  }

  private requestCpuStop(): void {
    const cpu = this.runtime.target.cpu;
    cpu.stopRequest = 'requested';
    cpu.requestService();
  }

  /** An exception or interrupt was delivered to guest g: a step watching g ends in the handler. */
  deliveredTo(g: number): void {
    if (this.stepWatch && this.stepWatch.guest === g && !this.runtime.replay.isReplaying) {
      this.stepWatch.isDelivered = true;
      this.requestCpuStop();
    }
  }

  onGuestSwitch(): void {
    const runtime = this.runtime;
    const cpu = runtime.target.cpu;
    if (runtime.replay.replayTarget !== undefined) { runtime.replay.afterEventCount(); return; }
    if (this.stepWatch && this.stepWatch.guest === runtime.target.currentGuest() && !cpu.isHalted) {
      cpu.runUntilTick = cpu.ticks + 1;
      cpu.requestService();
    }
  }

  /** Runs to the next stop or the end without yielding (for the bench and tests of cost). */
  runSynchronously(): SyncRunResult {
    const runtime = this.runtime;
    let reason = 'running';
    const off = (event: RuntimeEvent): void => {
      if (event.kind === 'exited') reason = `exited ${event.exitCode}`;
      else if (event.kind === 'stopped') reason = `stopped: ${event.stop.description}`;
    };
    runtime.on(off);
    runtime.divergence.ensure();
    const driver = this.makeDriver({ kind: 'continue' });
    this.isRunning = true;
    let outcome: Outcome = 'running';
    while (outcome === 'running') outcome = driver();
    this.isRunning = false;
    this.clearRunState();
    runtime.off(off);
    if (outcome === 'waiting') reason = 'waiting for input';
    let retired = 0;
    for (let g = 0; g < runtime.guestCount; g++) retired += runtime.target.retired(g);
    return { reason, retired, historyBytes: runtime.historyBytes(), snapshots: runtime.snapshotCount };
  }

  /** Called on disconnect/terminate: stops running at once. */
  dispose(): void {
    this.isDisposed = true;
    this.isPauseRequested = true;
    this.hasExited = true;
  }
}
