// Whether the run is being replayed, and how: a quiet replay (step back: no
// filters, no breakpoints, no handler frames), a reverse-continue search
// (filters and breakpoints record what would stop), the position a replay
// runs to, and the position at which it holds a trap. Replay (replay.ts) is
// the only one that changes it; the observers read it through ReplayStatus.

import type { RunPosition } from './currentSystem';

export interface ReplayStatus {
  readonly isReplaying: boolean;
  readonly isSearching: boolean;
  /** The position a replay runs to now, while it runs. */
  readonly replayTarget: number | undefined;
  /** A replay holds the trap raised at this position (reverse continue's landing, an edit made at a held trap). */
  readonly holdAt: number | undefined;
  /** An exception was counted or the guest switched: a replay re-aims its tick budget to end exactly at its target. */
  reaim(): void;
}

export class ReplayMode implements ReplayStatus {
  private replaying = false;
  private searching = false;
  private aimedAt: number | undefined;
  private holdPosition: number | undefined;

  constructor(private readonly run: RunPosition) {}

  get isReplaying(): boolean {
    return this.replaying;
  }
  get isSearching(): boolean {
    return this.searching;
  }
  get replayTarget(): number | undefined {
    return this.aimedAt;
  }
  get holdAt(): number | undefined {
    return this.holdPosition;
  }

  /** Starts (true) or ends (false) a replay. */
  setReplaying(isReplaying: boolean): void {
    this.replaying = isReplaying;
  }
  /** Starts (true) or ends (false) a reverse-continue search; a search is a replay. */
  setSearching(isSearching: boolean): void {
    this.searching = isSearching;
    this.replaying = isSearching;
  }
  aim(position: number | undefined): void {
    this.aimedAt = position;
  }
  holdTrapAt(position: number | undefined): void {
    this.holdPosition = position;
  }

  reaim(): void {
    if (this.aimedAt === undefined) return;
    const cpu = this.run.target.cpu;
    cpu.runUntilTick = cpu.ticks + Math.max(0, this.aimedAt - this.run.position());
    cpu.requestService();
  }
}
