// The keyboard (docs/machine.md, Devices and the console): a byte queue fed by timed input. Interrupt 33
// becomes pending when a byte becomes the head of an empty queue and whenever a
// read of port 0x60 leaves the queue non-empty.

export interface TimedInput {
  /** Tick at which the bytes join the queue. */
  tick: number;
  bytes: Uint8Array;
}

export class Keyboard {
  /** Queued bytes; `head` indexes the next byte to read. */
  private queue: number[] = [];
  private head = 0;
  /** Inputs not yet arrived, sorted by tick. */
  private schedule: TimedInput[];
  private nextScheduled = 0;
  isInterruptPending = false;

  constructor(inputs: readonly TimedInput[] = []) {
    this.schedule = [...inputs].sort((x, y) => x.tick - y.tick);
  }

  get queueLength(): number {
    return this.queue.length - this.head;
  }

  /** Tick of the next scheduled input, or Infinity. */
  nextArrivalTick(): number {
    return this.nextScheduled < this.schedule.length ? this.schedule[this.nextScheduled].tick : Infinity;
  }

  /** Moves every input due at or before `ticks` into the queue. */
  advance(ticks: number): void {
    while (this.nextScheduled < this.schedule.length && this.schedule[this.nextScheduled].tick <= ticks) {
      this.enqueue(this.schedule[this.nextScheduled++].bytes);
    }
  }

  /** Bytes typed now (the debugger's input): they join the queue at once. */
  enqueue(bytes: Uint8Array): void {
    for (const byte of bytes) {
      if (this.queueLength === 0) this.isInterruptPending = true;
      this.queue.push(byte);
    }
  }

  readData(): number {
    if (this.queueLength === 0) return 0;
    const byte = this.queue[this.head++];
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    if (this.queueLength > 0) this.isInterruptPending = true;
    return byte;
  }

  readStatus(): number {
    return this.queueLength > 0 ? 1 : 0;
  }

  pendingBytes(): number[] {
    return this.queue.slice(this.head);
  }

  saveState(): KeyboardState {
    return { queue: this.pendingBytes(), nextScheduled: this.nextScheduled, isInterruptPending: this.isInterruptPending, schedule: this.schedule };
  }

  loadState(state: KeyboardState): void {
    this.queue = [...state.queue];
    this.head = 0;
    this.schedule = state.schedule;
    this.nextScheduled = state.nextScheduled;
    this.isInterruptPending = state.isInterruptPending;
  }
}

export interface KeyboardState {
  queue: number[];
  nextScheduled: number;
  isInterruptPending: boolean;
  schedule: TimedInput[];
}
