// Events the hypervisor reports. Their `kind`s are the debugger's exception
// filter ids (README), so a stop on a filter is a match on `kind`.

/** Every kind, in the order the debugger lists its filters. */
export const HYPERVISOR_EVENT_KINDS = [
  'protection-fault',
  'privileged-emulated',
  'io-emulated',
  'syscall',
  'reflected',
  'guest-page-fault',
  'hidden-page-fault',
  'shadow-dropped',
  'cr3-load',
  'tlb-flush',
  'sensitive',
  'hypercall',
  'bt-translate',
  'hw-exit',
  'divergence',
] as const;

export type HypervisorEventKind = (typeof HYPERVISOR_EVENT_KINDS)[number];

export interface HypervisorEvent {
  kind: HypervisorEventKind;
  guest: number;
  /** Guest pc of the instruction concerned (virtual). */
  pc: number;
  /** Disassembled instruction, when there is one. */
  instruction: string;
  /** Guest-visible vector for reflections and faults. */
  vector?: number;
  errorCode?: number;
  /** Faulting (virtual) address, or the address the event is about. */
  address?: number;
  /** Pretend mode of the guest when the event happened. */
  isPretendUser: boolean;
  /** One sentence that says what happened and what the hypervisor does about it. */
  description: string;
  ticks: number;
  /** Under hardware assist: an exception the guest's own handler gets in guest mode, with no exit (no hypervisor handler runs). */
  isGuestModeDelivery?: boolean;
}
