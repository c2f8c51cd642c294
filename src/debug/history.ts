// Step back rests on determinism (style.md: a run is a pure function of image,
// config and input): to reach an earlier point the runtime restores the
// nearest snapshot before it and runs forward again. This module keeps the
// snapshots and the user's interventions (typed input, edited registers and
// memory) that a replay must make again at the same run position.
//
// A run position counts every guest tick plus every exception raised and
// every exception or interrupt delivered to a guest, so it grows at each
// instruction boundary, including those where no instruction retired.
// Memory stays bounded: at most `maxSnapshots` are kept, holding at most
// `byteBudget` bytes; when either is exceeded, every other one is dropped and
// the interval between snapshots doubles, so the whole run stays covered with
// snapshots ever further apart. A snapshot larger than the whole budget (a
// guest with a huge RAM) is not kept, and no more are taken: step back then
// replays from the start.

import { TimedInput } from '../machine/devices/keyboard';

export interface Intervention {
  position: number;
  description: string;
  apply(): void;
  /** Typed keyboard input, at the guest tick it was typed (the divergence search types it again there). */
  input?: TimedInput;
  /** Made while a trap was held before handling or delivery: a replay holds that trap again to make it. */
  isTrapHeld?: boolean;
}

export interface Snapshot<R> {
  position: number;
  /** The system's own saved state; undefined means "create the system afresh" (position 0). */
  state: unknown;
  /** The runtime's bookkeeping at that position (event counts, handler stacks...). */
  runtime: R;
  /** Interventions already contained in the snapshot. */
  nInterventions: number;
  bytes: number;
}

/** Bytes all snapshots together may hold (guest RAM and hypervisor frames, mostly). */
export const HISTORY_BYTE_BUDGET = 256 * 1024 * 1024;

export class History<R> {
  private snapshots: Array<Snapshot<R>> = [];
  interventions: Intervention[] = [];
  interval: number;
  /** Set when one snapshot alone exceeded the budget: taking more would only make garbage. */
  private isTooLarge = false;
  /** Sum of the snapshots' bytes, kept as they come and go (a sum per add would cost O(n) each). */
  private totalBytes = 0;

  constructor(
    private readonly maxSnapshots: number,
    interval: number,
    readonly byteBudget = HISTORY_BYTE_BUDGET,
  ) {
    this.interval = interval;
  }

  reset(start: Snapshot<R>): void {
    this.snapshots = [start];
    this.interventions = [];
    this.isTooLarge = false;
    this.totalBytes = start.bytes;
  }

  /** True when a snapshot at `position` would be due. */
  isDue(position: number): boolean {
    if (this.maxSnapshots === 0 || this.isTooLarge) return false;
    const last = this.snapshots[this.snapshots.length - 1];
    return !last || position - last.position >= this.interval;
  }

  add(snapshot: Snapshot<R>): void {
    const last = this.snapshots[this.snapshots.length - 1];
    if (last && last.position >= snapshot.position) return;
    if (snapshot.bytes > this.byteBudget) {
      this.isTooLarge = true;
      return;
    }
    this.snapshots.push(snapshot);
    this.totalBytes += snapshot.bytes;
    while (this.snapshots.length > this.maxSnapshots + 1 || this.totalBytes > this.byteBudget) {
      // The first (position 0, no state) always stays; so does the newest.
      const newest = this.snapshots[this.snapshots.length - 1];
      this.keep(this.snapshots.filter((s, i) => i === 0 || i % 2 === 0 || s === newest));
      this.interval *= 2;
      if (this.snapshots.length <= 2) {
        if (this.totalBytes > this.byteBudget) this.keep([this.snapshots[0]]);
        break;
      }
    }
  }

  private keep(snapshots: Array<Snapshot<R>>): void {
    this.snapshots = snapshots;
    this.totalBytes = snapshots.reduce((sum, s) => sum + s.bytes, 0);
  }

  /** The latest snapshot at or before `position`. */
  nearest(position: number): Snapshot<R> {
    let best = this.snapshots[0];
    for (const snapshot of this.snapshots) if (snapshot.position <= position) best = snapshot;
    return best;
  }

  /** Positions of the snapshots, latest first, at or before `position`. */
  startsBefore(position: number): Array<Snapshot<R>> {
    return this.snapshots.filter((s) => s.position < position).reverse();
  }

  /** A new intervention changes the future: later snapshots and interventions no longer hold. */
  record(intervention: Intervention): void {
    this.keep(this.snapshots.filter((s, i) => i === 0 || s.position < intervention.position));
    this.interventions = this.interventions.filter((i) => i.position <= intervention.position);
    this.interventions.push(intervention);
  }

  /** Bytes held by snapshots (typed arrays counted exactly, the rest estimated). */
  bytes(): number {
    return this.totalBytes;
  }

  get count(): number {
    return this.snapshots.length;
  }
}

/** Approximate size of a saved state: typed arrays exactly, other values roughly. */
export function estimateBytes(value: unknown, seen = new Set<unknown>()): number {
  if (value === null || value === undefined) return 0;
  if (ArrayBuffer.isView(value)) return value.byteLength;
  if (value instanceof ArrayBuffer) return value.byteLength;
  if (typeof value === 'number') return 8;
  if (typeof value === 'string') return value.length * 2;
  if (typeof value !== 'object') return 8;
  if (seen.has(value)) return 0;
  seen.add(value);
  let sum = 16;
  if (value instanceof Map) {
    for (const [k, v] of value) sum += estimateBytes(k, seen) + estimateBytes(v, seen);
    return sum;
  }
  for (const v of Object.values(value as Record<string, unknown>)) sum += estimateBytes(v, seen);
  return sum;
}
