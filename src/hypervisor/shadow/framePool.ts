// Machine frames that belong to the hypervisor itself (shadow page tables live
// here). No shadow ever maps them, so no guest can reach them.

import { PhysicalMemory } from '../../machine/memory';
import { PAGE_SIZE } from '../../machine/isa';

export class FramePool {
  private free: number[] = [];

  constructor(
    private readonly memory: PhysicalMemory,
    readonly base: number,
    readonly nFrames: number,
  ) {
    for (let i = nFrames - 1; i >= 0; i--) this.free.push(base + i * PAGE_SIZE);
  }

  /** A zeroed frame, or undefined when the pool is empty. */
  allocate(): number | undefined {
    const frame = this.free.pop();
    if (frame !== undefined) this.memory.bytes.fill(0, frame, frame + PAGE_SIZE);
    return frame;
  }

  release(frame: number): void {
    this.free.push(frame);
  }

  saveState(): number[] {
    return [...this.free];
  }

  loadState(free: number[]): void {
    this.free = [...free];
  }

  contains(ma: number): boolean {
    return ma >= this.base && ma < this.base + this.nFrames * PAGE_SIZE;
  }
}
