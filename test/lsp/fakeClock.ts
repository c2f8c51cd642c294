// A clock for the language server's debounced work whose timers fire only when a test says so.

import { Clock } from '../../src/lsp/debouncedRun';

/** A clock whose timers fire only when the test says so. */
export class FakeClock implements Clock {
  private next = 1;
  readonly pending = new Map<number, { run: () => void; milliseconds: number }>();

  setTimeout(run: () => void, milliseconds: number): unknown {
    const handle = this.next++;
    this.pending.set(handle, { run, milliseconds });
    return handle;
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  /** Fires every pending timer (the quiet period has passed). */
  fire(): void {
    const due = [...this.pending.values()];
    this.pending.clear();
    for (const timer of due) timer.run();
  }
}
