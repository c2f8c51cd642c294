// Runs a piece of work once edits have stopped for a moment (the full
// assembly behind diagnostics): every `schedule` restarts the wait, and marks
// a run still in progress as superseded so that it stops before publishing
// what is already out of date. The clock is injectable so tests can step time.

export interface Clock {
  setTimeout(run: () => void, milliseconds: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  setTimeout: (run, milliseconds) => setTimeout(run, milliseconds),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Handed to a run: becomes true as soon as a newer `schedule` (or `cancel`) makes the run pointless. */
export interface RunToken {
  readonly isSuperseded: boolean;
}

export class DebouncedRun {
  private timer: unknown;
  private generation = 0;
  private started = 0;

  constructor(
    private readonly work: (token: RunToken) => void | Promise<void>,
    private readonly delayMs: number,
    private readonly clock: Clock = systemClock,
  ) {}

  /** How many runs have started. */
  get runCount(): number {
    return this.started;
  }

  /** (Re)starts the quiet period; a run in progress is superseded. */
  schedule(): void {
    this.cancel();
    this.timer = this.clock.setTimeout(() => this.start(), this.delayMs);
  }

  /** Drops the pending run and supersedes the one in progress. */
  cancel(): void {
    this.generation++;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private start(): void {
    this.timer = undefined;
    const generation = this.generation;
    const token: RunToken = {
      get isSuperseded() {
        return generation !== current();
      },
    };
    const current = (): number => this.generation;
    this.started++;
    void this.work(token);
  }
}
