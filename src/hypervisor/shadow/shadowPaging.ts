// What the hypervisor asks of a shadow-paging strategy (g32-isa.md §7): which
// shadow the real cr3 should hold, what to do on the guest's cr3 loads,
// invlpg and pretend-mode switches, and how to fill after a hidden page fault.

import { CostCounters } from '../costs';
import { GuestMemory, GuestWalk } from '../guestMemory';
import { ShadowEntry, ShadowPageTable } from './shadowPageTable';

import type { KernelShadows, PagingSetting } from '../settings';

export type { KernelShadows, PagingSetting };

/** What a strategy needs from the hypervisor. */
export interface ShadowHost {
  /** Removes real TLB entries after the active shadow changed: one page, or all. */
  flushRealTlb(gva: number | undefined): void;
  /** Frames ran out: every shadow of every guest may be dropped to make room. */
  reclaimFrames(): void;
}

export interface ShadowView {
  /** Which cached table this is: the guest page directory it shadows (-1: paging off), and the variant. */
  guestDirectory: number;
  variant: 'kernel' | 'user' | 'both';
  isActive: boolean;
  entries: ShadowEntry[];
}

export interface ShadowPaging {
  readonly setting: PagingSetting;
  /** The table the real cr3 must point at for the guest's cr3 and pretend mode. */
  active(): ShadowPageTable;
  onGuestCr3Load(guestCr3: number): void;
  /** Says what was done, for the trace and the timeline. */
  onGuestInvlpg(gva: number): string;
  onPretendModeSwitch(isPretendUser: boolean): void;
  /** Maps `gva` after a successful guest walk; false if no frame could be had. */
  fill(gva: number, walk: GuestWalk, guestCr3: number): boolean;
  /** True when writes to this guest-physical page must trap (its page holds a shadowed page table). */
  isWriteProtected(gpa: number): boolean;
  /** After an emulated guest write into a write-protected page. */
  onProtectedWrite(gpa: number, size: number): void;
  /** Makes every shadow entry that maps machine frame `ma` read-only (binary translation's code pages). */
  writeProtectFrame(ma: number): void;
  /** A hypercall wrote a guest PTE: remove whatever shadow entries were built from it. */
  onPteWritten(pteGpa: number, guestCr3: number): void;
  /** Drops every shadow (frames ran out). */
  dropAll(): void;
  views(): ShadowView[];
  /** Bookkeeping for snapshots; the tables' contents are restored with machine memory. */
  saveState(): unknown;
  loadState(state: unknown): void;
}

export interface ShadowDeps {
  memory: GuestMemory;
  host: ShadowHost;
  /** The guest's own counters. */
  counters: CostCounters;
  kernelShadows: KernelShadows;
  isPretendUser: () => boolean;
  /**
   * Hardware assist with shadow paging: the guest kernel runs in real kernel mode,
   * so one table with the guest's own U bits serves both modes and mode changes
   * (which the hypervisor does not even see) need nothing.
   */
  isHardwareMode: boolean;
  /** Other reasons to keep a guest page read-only in every shadow (translated code). */
  isCodePage: (gpa: number) => boolean;
}
