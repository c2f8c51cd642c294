// The event timeline: a bounded ring of what happened in the run (traps,
// reflections, cr3 loads, TLB flushes, divergence), each entry stamped with
// its run position so a step back can drop the entries of the future it undid.
// It only keeps entries: it does not know which simulator events make them,
// nor how the panels show them.

import { TimelineEntry } from '../protocol/panelMessages';
import type { RunPosition } from './currentSystem';

const TIMELINE_CAPACITY = 5000;

/** A timeline entry as the runtime keeps it: the panel's fields, plus where in the run it happened. */
export interface TimelineRecord extends Omit<TimelineEntry, 'source'> {
  position: number;
  gpa?: number;
}

export class Timeline {
  private timeline: TimelineRecord[] = [];
  private timelineSeq = 0;

  /** The run gives the entry its guest-physical pc and its run position. */
  constructor(private readonly run: RunPosition) {}

  record(kind: string, guest: number, pc: number, instruction: string, description: string, ticks: number): void {
    const gpa = this.run.target.toPhysical(guest, pc);
    this.timeline.push({ seq: ++this.timelineSeq, kind, guest, pc: pc >>> 0, instruction, description, ticks, position: this.run.position(), gpa });
    if (this.timeline.length > TIMELINE_CAPACITY * 1.25) this.timeline = this.timeline.slice(-TIMELINE_CAPACITY);
  }

  entries(): TimelineRecord[] {
    return this.timeline.slice(-TIMELINE_CAPACITY);
  }

  /** Forgets the entries after `position` (a replay from a snapshot there makes them again). */
  dropAfter(position: number): void {
    this.timeline = this.timeline.filter((t) => t.position <= position);
  }
}
