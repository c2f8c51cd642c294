// The interval timer (docs/machine.md, Devices and the console): writing N > 0 to port 0x40 makes
// interrupt 32 pending exactly N ticks after the write, then every N ticks.
// The write takes effect when the `out` retires, so "N ticks later" counts the
// N instructions (or idle ticks) that follow it.

export class Timer {
  period = 0;
  /** Tick at which the interrupt next becomes pending; Infinity when stopped. */
  nextFire = Infinity;
  isInterruptPending = false;

  write(value: number, nowTicks: number): void {
    const period = value >>> 0;
    this.period = period;
    this.nextFire = period > 0 ? nowTicks + period : Infinity;
  }

  advance(ticks: number): void {
    while (this.nextFire <= ticks) {
      this.isInterruptPending = true;
      this.nextFire += this.period;
    }
  }

  saveState(): TimerState {
    return { period: this.period, nextFire: this.nextFire, isInterruptPending: this.isInterruptPending };
  }

  loadState(state: TimerState): void {
    this.period = state.period;
    this.nextFire = state.nextFire;
    this.isInterruptPending = state.isInterruptPending;
  }
}

export interface TimerState {
  period: number;
  nextFire: number;
  isInterruptPending: boolean;
}
