// The system being debugged now and the run position counted on it. A replay
// from the start of the run puts a fresh system in its place, so the parts
// reach the target through here rather than keeping one. The run position is
// the guest ticks plus the exceptions raised and delivered: every instruction
// boundary, including those where the pc does not move, has its own number.

import { VirtualSystem } from '../hypervisor/system';
import { Target } from './target';

/** What most parts need of the system: the target now and the run position. */
export interface RunPosition {
  readonly target: Target;
  position(): number;
}

export class CurrentSystem implements RunPosition {
  private current: Target;
  private events = 0;

  constructor(system: VirtualSystem) {
    this.current = new Target(system);
  }

  get target(): Target {
    return this.current;
  }
  get system(): VirtualSystem {
    return this.current.system;
  }

  /** A fresh system (a replay from the start): nothing counted on it yet. */
  replace(system: VirtualSystem): void {
    this.current = new Target(system);
    this.events = 0;
  }

  /** Exceptions raised and delivered so far. */
  get eventCount(): number {
    return this.events;
  }

  /** An exception was raised or delivered: one more instruction boundary. */
  countEvent(): void {
    this.events++;
  }

  /** Puts back the count of a saved state (the system's own state is loaded by the caller). */
  loadEventCount(count: number): void {
    this.events = count;
  }

  /** Instruction boundaries passed so far: guest ticks plus exceptions raised and delivered. */
  position(): number {
    return this.current.totalTicks() + this.events;
  }
}
