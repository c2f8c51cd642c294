// The state of running forward that the simulator's observers feed and run
// control consumes: the stop an event asked for, the trap the hypervisor holds,
// the step that watches for a delivery, step into's guest, step over's
// temporary breakpoint, the end of the run, and the trap-filter matches a
// reverse-continue search records. Each is changed only through the methods
// here; the observers push typed requests (StopRequests) and never decide how
// the run proceeds.

import { StopReason as CpuStopReason } from '../machine/cpu';
import { HypervisorEvent } from '../hypervisor/events';
import type { RunPosition } from './currentSystem';
import type { ReplayStatus } from './replayMode';
import type { StopInfo } from './runtime';

/** A trap the hypervisor holds before handling it: a trap filter matched (`filterId`), or step into waits for it. */
export interface HeldTrap {
  event: HypervisorEvent;
  filterId?: string;
}

/** A step watching guest `guest`: it ends in the handler when an exception is delivered to it. */
export interface StepWatch {
  guest: number;
  isDelivered: boolean;
}

/** A stop step over sets after a call: the return address, reached with the stack no deeper. */
export interface TempBreak {
  guest: number;
  address: number;
  sp: number;
}

/** The run ended in a way the next continue reports (triple fault, bus error...). */
export interface Fatal {
  reason: CpuStopReason;
  detail: string;
  exitCode: number;
}

/** A trap filter matched during a reverse-continue search, at this run position. */
export interface TrapMatch {
  position: number;
  stop: StopInfo;
}

/** What the observers of simulator events may ask of run control. */
export interface StopRequests {
  /** Guest step into waits for (its next trap enters the hypervisor frame). */
  readonly stepInGuest: number | undefined;
  /** An event asks for a stop right after it; the first request of a run wins. */
  requestStop(stop: StopInfo): void;
  /** The hypervisor holds `event`'s trap before handling it. */
  holdTrap(event: HypervisorEvent, filterId?: string): void;
  /** A replay holds the trap it was asked to: it is the trap step into handles next. */
  noteHeldInReplay(event: HypervisorEvent): void;
  /** A reverse-continue search saw a trap filter match (the trap goes on). */
  recordTrapMatch(stop: StopInfo): void;
  /** An exception or interrupt was delivered to guest g. */
  deliveredTo(g: number): void;
}

export class RunState implements StopRequests {
  private pending: StopInfo | undefined;
  private heldTrap: HeldTrap | undefined;
  private watch: StepWatch | undefined;
  private stepIn: number | undefined;
  private temp: TempBreak | undefined;
  private lastTrap: HypervisorEvent | undefined;
  private fatalEnd: Fatal | undefined;
  private trapMatches: TrapMatch[] = [];

  constructor(
    private readonly run: RunPosition,
    private readonly replay: Pick<ReplayStatus, 'isReplaying'>,
  ) {}

  // ------------------------------------------------------------ requests from the observers

  requestStop(stop: StopInfo): void {
    if (!this.pending) this.pending = stop;
    this.requestCpuStop();
  }

  holdTrap(event: HypervisorEvent, filterId?: string): void {
    this.heldTrap = { event, filterId };
  }

  noteHeldInReplay(event: HypervisorEvent): void {
    this.lastTrap = event;
  }

  recordTrapMatch(stop: StopInfo): void {
    this.trapMatches.push({ position: this.run.position(), stop });
  }

  deliveredTo(g: number): void {
    if (this.watch && this.watch.guest === g && !this.replay.isReplaying) {
      this.watch.isDelivered = true;
      this.requestCpuStop();
    }
  }

  private requestCpuStop(): void {
    const cpu = this.run.target.cpu;
    cpu.stopRequest = 'requested';
    cpu.requestService();
  }

  // ------------------------------------------------------------ what run control reads and consumes

  get hasPendingStop(): boolean {
    return this.pending !== undefined;
  }

  /** The stop an event asked for, now reported (or dropped). */
  takePendingStop(): StopInfo | undefined {
    const stop = this.pending;
    this.pending = undefined;
    return stop;
  }

  clearPendingStop(): void {
    this.pending = undefined;
  }

  get hasHeldTrap(): boolean {
    return this.heldTrap !== undefined;
  }

  /** The held trap, now reported: it becomes the trap step into handles. */
  takeHeldTrap(): HeldTrap | undefined {
    const held = this.heldTrap;
    this.heldTrap = undefined;
    if (held) this.lastTrap = held.event;
    return held;
  }

  /** The last trap held and reported: what step into at a held trap handles. */
  get lastTrapEvent(): HypervisorEvent | undefined {
    return this.lastTrap;
  }

  /** The trap-filter matches recorded since the last call, oldest first. */
  takeTrapMatches(): TrapMatch[] {
    const matches = this.trapMatches;
    this.trapMatches = [];
    return matches;
  }

  get stepWatch(): Readonly<StepWatch> | undefined {
    return this.watch;
  }

  /** A step of guest g begins: it stops at g's next instruction, or in the handler of an exception delivered to g. */
  beginStepWatch(g: number): void {
    this.watch = { guest: g, isDelivered: false };
  }

  /** Takes the step watch away (the hypervisor frame handles a trap); give it back with `resumeStepWatch`. */
  suspendStepWatch(): StepWatch | undefined {
    const watch = this.watch;
    this.watch = undefined;
    return watch;
  }

  resumeStepWatch(watch: StepWatch | undefined): void {
    this.watch = watch;
  }

  get stepInGuest(): number | undefined {
    return this.stepIn;
  }

  /** Step into guest g: its next trap is held so the hypervisor frame can show its handling. */
  beginStepIn(g: number): void {
    this.stepIn = g;
  }

  get tempBreak(): Readonly<TempBreak> | undefined {
    return this.temp;
  }

  setTempBreak(temp: TempBreak): void {
    this.temp = temp;
  }

  get fatal(): Readonly<Fatal> | undefined {
    return this.fatalEnd;
  }

  endWith(fatal: Fatal): void {
    this.fatalEnd = fatal;
  }

  /** A replay put the run elsewhere: it has not ended there. */
  clearFatal(): void {
    this.fatalEnd = undefined;
  }

  /** A resume starts: no stop asked for, no trap held yet. */
  beginResume(): void {
    this.pending = undefined;
    this.heldTrap = undefined;
  }

  /** A run came to its stop (or end): nothing of it is left to act on. */
  endRun(): void {
    this.watch = undefined;
    this.stepIn = undefined;
    this.temp = undefined;
    this.pending = undefined;
    this.heldTrap = undefined;
  }
}
