// What the technique modules (trapEmulate, paravirt, binaryTranslation,
// hardwareAssist, pageFault, reflect) may use of the hypervisor: the real CPU,
// the current guest, the trace, and the few host services a handler calls.
// The Hypervisor implements it, as it implements ShadowHost for the shadows.

import type { Cpu } from '../machine/cpu';
import type { DecodedInstr } from '../machine/decode';
import type { EventHub } from '../machine/events';
import type { HypervisorEvent, HypervisorEventKind } from './events';
import type { HypervisorVirtualization, PendingTrap } from './hypervisor';
import type { Guest } from './guest';
import type { PageFaults } from './pageFault';
import type { PseudocodeLine } from './pseudocode';
import type { KernelShadows, PagingSetting, ShadowHost } from './shadow/shadowPaging';

export interface TrapContext extends ShadowHost {
  readonly cpu: Cpu;
  readonly config: { readonly virtualization: HypervisorVirtualization; readonly paging: PagingSetting; readonly kernelShadows: KernelShadows };
  readonly hvEvents: EventHub<HypervisorEvent>;
  readonly guests: readonly Guest[];
  /** The guest on the real CPU. */
  readonly current: Guest;
  readonly isHardwareAssist: boolean;
  readonly isNested: boolean;

  /** When set, asked before a trap is handled; true holds it back and stops the run. */
  shouldStopAtTrap: ((event: HypervisorEvent) => boolean) | undefined;
  pendingTrap: PendingTrap | undefined;
  pendingGuestDelivery: PendingTrap | undefined;

  /** Records a line of the trap(tf) pseudocode the handler goes through (when tracing). */
  mark(line: PseudocodeLine): void;
  /** Starts a new pseudocode trace: one trap's lines. */
  beginTrace(): void;
  event(kind: HypervisorEventKind, guest: Guest, pc: number, instruction: string, description: string, extra: Partial<HypervisorEvent>): HypervisorEvent;
  emit(event: HypervisorEvent): void;

  /** The page-fault handler shared by software virtualization and hardware assist with shadow paging. */
  readonly pageFaults: PageFaults;

  busError(guest: Guest, address: number): void;
  /** Fetches and decodes the instruction at the guest's pc, reflecting a fault if the fetch fails. */
  fetchInstruction(guest: Guest): DecodedInstr | undefined;
  /** Decodes without side effects (no A bits, no faults), for descriptions. */
  peekInstruction(guest: Guest, pc: number): DecodedInstr | undefined;
  peekText(guest: Guest, pc: number): string;

  /**
   * An emulated instruction retires: one guest tick. The platform is serviced
   * before the next instruction unless `needsService` is false: for an emulated
   * store, which (as on bare hardware) changes nothing the platform looks at.
   */
  retireEmulated(nextPc: number, needsService?: boolean): void;
  setPretendMode(guest: Guest, isUser: boolean): void;
  loadRealCr3(): void;
  syncRealCr3(): void;

  /** Hardware assist: copies the guest's view of the CPU out of the real CPU (VM exit), and back in (VM entry). */
  syncFromCpu(guest: Guest): void;
  syncToCpu(guest: Guest): void;
}
