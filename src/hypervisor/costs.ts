// What each virtualization setting costs: counters for every hypervisor event
// and a simple cycle-cost model (documented defaults, overridable) that turns
// them into estimated cycles so that settings can be compared side by side.

export interface CostCounters {
  instructionsPretendKernel: number;
  instructionsPretendUser: number;
  trapsProtectionFault: number;
  trapsPageFault: number;
  trapsSyscall: number;
  trapsOther: number;
  privilegedEmulated: number;
  ioEmulated: number;
  reflections: number;
  virtualInterrupts: number;
  guestPageFaults: number;
  hiddenPageFaults: number;
  shadowFills: number;
  shadowDrops: number;
  writeProtectEmulations: number;
  guestCr3Loads: number;
  realCr3Loads: number;
  realTlbFlushes: number;
  /** pushf, popf and mov rd, evt executed by the guest, whatever the setting does with them (runs, translates, or lets the hardware run them). */
  sensitiveInstructions: number;
  hypercalls: number;
  translations: number;
  translationCacheHits: number;
  chainedJumps: number;
  translationInvalidations: number;
  /** Binary translation: emulations a block called directly after adaptive retranslation, each a trap that did not happen. */
  trapsAvoidedByAdaptiveTranslation: number;
  hwExits: number;
  hwExitsHlt: number;
  hwExitsIo: number;
  hwExitsCr3: number;
  hwExitsInvlpg: number;
  hwExitsVmcall: number;
  hwExitsPageFault: number;
  hwExitsMmio: number;
  hwExitsInterrupt: number;
  nestedWalkReferences: number;
  tlbMisses: number;
}

export function emptyCounters(): CostCounters {
  return {
    instructionsPretendKernel: 0, instructionsPretendUser: 0,
    trapsProtectionFault: 0, trapsPageFault: 0, trapsSyscall: 0, trapsOther: 0,
    privilegedEmulated: 0, ioEmulated: 0, reflections: 0, virtualInterrupts: 0,
    guestPageFaults: 0, hiddenPageFaults: 0, shadowFills: 0, shadowDrops: 0, writeProtectEmulations: 0,
    guestCr3Loads: 0, realCr3Loads: 0, realTlbFlushes: 0, sensitiveInstructions: 0, hypercalls: 0,
    translations: 0, translationCacheHits: 0, chainedJumps: 0, translationInvalidations: 0, trapsAvoidedByAdaptiveTranslation: 0,
    hwExits: 0, hwExitsHlt: 0, hwExitsIo: 0, hwExitsCr3: 0, hwExitsInvlpg: 0, hwExitsVmcall: 0, hwExitsPageFault: 0, hwExitsMmio: 0, hwExitsInterrupt: 0,
    nestedWalkReferences: 0, tlbMisses: 0,
  };
}

export const COUNTER_LABELS: Record<keyof CostCounters, string> = {
  instructionsPretendKernel: 'instructions in pretend kernel mode',
  instructionsPretendUser: 'instructions in pretend user mode',
  trapsProtectionFault: 'traps: protection fault',
  trapsPageFault: 'traps: page fault',
  trapsSyscall: 'traps: system call',
  trapsOther: 'traps: other',
  privilegedEmulated: 'privileged instructions emulated',
  ioEmulated: 'I/O emulated (port and memory-mapped)',
  reflections: 'exceptions reflected to the guest',
  virtualInterrupts: 'virtual interrupts delivered',
  guestPageFaults: 'guest-visible page faults',
  hiddenPageFaults: 'hidden page faults',
  shadowFills: 'shadow fills',
  shadowDrops: 'shadow drops',
  writeProtectEmulations: 'page-table writes emulated (write-protect)',
  guestCr3Loads: 'guest cr3 loads (the guest kernel\'s mov cr3)',
  realCr3Loads: 'real cr3 loads (the real CPU\'s page-table switches)',
  realTlbFlushes: 'real TLB flushes (by the hypervisor)',
  sensitiveInstructions: 'sensitive instructions executed by the guest (pushf, popf, mov rd, evt)',
  hypercalls: 'hypercalls',
  translations: 'blocks translated',
  translationCacheHits: 'translation cache hits',
  chainedJumps: 'chained jumps',
  translationInvalidations: 'translations invalidated',
  trapsAvoidedByAdaptiveTranslation: 'traps avoided by adaptive translation',
  hwExits: 'hardware-assist exits',
  hwExitsHlt: 'exits: hlt',
  hwExitsIo: 'exits: port I/O',
  hwExitsCr3: 'exits: cr3 access (shadow paging)',
  hwExitsInvlpg: 'exits: invlpg (shadow paging)',
  hwExitsVmcall: 'exits: vmcall',
  hwExitsPageFault: 'exits: page fault (shadow paging)',
  hwExitsMmio: 'exits: memory-mapped I/O',
  hwExitsInterrupt: 'exits: interrupt injection',
  nestedWalkReferences: 'nested walk memory references',
  tlbMisses: 'TLB misses',
};

/** Estimated cycles per event. Defaults are round numbers of the order real x86 hypervisors report. */
export interface CostModel {
  instruction: number;
  trap: number;
  emulate: number;
  reflect: number;
  shadowFill: number;
  shadowDrop: number;
  realCr3Load: number;
  tlbMiss: number;
  hypercall: number;
  translate: number;
  hwExit: number;
  nestedWalkReference: number;
}

export const DEFAULT_COST_MODEL: CostModel = {
  instruction: 1,
  trap: 500, // a world switch into the hypervisor and back
  emulate: 100, // decoding and emulating one instruction, on top of the trap
  reflect: 200, // building the guest's trap frame, on top of the trap
  shadowFill: 300, // walking the guest table and writing a shadow entry, on top of the trap
  shadowDrop: 200,
  realCr3Load: 50,
  tlbMiss: 20,
  hypercall: 300, // a vmcall exit, cheaper than trap + decode
  translate: 2000, // per block translated
  hwExit: 400,
  nestedWalkReference: 5,
};

export function parseCostModel(json: unknown): CostModel {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error('cost model must be a JSON object');
  const model: CostModel = { ...DEFAULT_COST_MODEL };
  for (const [key, value] of Object.entries(json)) {
    if (!(key in model)) throw new Error(`unknown cost model key '${key}'; known: ${Object.keys(model).join(', ')}`);
    if (typeof value !== 'number' || !(value >= 0)) throw new Error(`cost model '${key}' must be a non-negative number`);
    (model as unknown as Record<string, number>)[key] = value;
  }
  return model;
}

export function estimateCycles(c: CostCounters, m: CostModel = DEFAULT_COST_MODEL): number {
  const traps = c.trapsProtectionFault + c.trapsPageFault + c.trapsSyscall + c.trapsOther;
  return (c.instructionsPretendKernel + c.instructionsPretendUser) * m.instruction
    + traps * m.trap
    + (c.privilegedEmulated + c.ioEmulated + c.writeProtectEmulations) * m.emulate
    + (c.reflections + c.virtualInterrupts) * m.reflect
    + c.shadowFills * m.shadowFill
    + c.shadowDrops * m.shadowDrop
    + c.realCr3Loads * m.realCr3Load
    + c.tlbMisses * m.tlbMiss
    + c.hypercalls * m.hypercall
    + c.translations * m.translate
    + c.hwExits * m.hwExit
    + c.nestedWalkReferences * m.nestedWalkReference;
}
