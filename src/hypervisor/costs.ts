// What each virtualization setting costs: counters for every hypervisor event
// and a cycle-cost model that turns them into estimated cycles so that settings
// can be compared side by side. Two hardware profiles (COST_PROFILES), each
// figure with its source or marked an estimate in docs/hypervisor.md, "Costs";
// any key can be overridden with --cost-model FILE.json.

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
  /** Binary translation: guest-kernel instructions run while their block was cold (not yet translated), by the interpreter. */
  instructionsInterpreted: number;
  hwExits: number;
  hwExitsHlt: number;
  hwExitsIo: number;
  hwExitsCr3: number;
  hwExitsInvlpg: number;
  hwExitsVmcall: number;
  hwExitsPageFault: number;
  hwExitsMmio: number;
  hwExitsInterrupt: number;
  tlbMisses: number;
  /** Page-table entries read by one-dimensional walks (bare hardware, or a shadow). */
  walkReferences: number;
  nestedWalkReferences: number;
}

export function emptyCounters(): CostCounters {
  return {
    instructionsPretendKernel: 0,
    instructionsPretendUser: 0,
    trapsProtectionFault: 0,
    trapsPageFault: 0,
    trapsSyscall: 0,
    trapsOther: 0,
    privilegedEmulated: 0,
    ioEmulated: 0,
    reflections: 0,
    virtualInterrupts: 0,
    guestPageFaults: 0,
    hiddenPageFaults: 0,
    shadowFills: 0,
    shadowDrops: 0,
    writeProtectEmulations: 0,
    guestCr3Loads: 0,
    realCr3Loads: 0,
    realTlbFlushes: 0,
    sensitiveInstructions: 0,
    hypercalls: 0,
    translations: 0,
    translationCacheHits: 0,
    chainedJumps: 0,
    translationInvalidations: 0,
    trapsAvoidedByAdaptiveTranslation: 0,
    instructionsInterpreted: 0,
    hwExits: 0,
    hwExitsHlt: 0,
    hwExitsIo: 0,
    hwExitsCr3: 0,
    hwExitsInvlpg: 0,
    hwExitsVmcall: 0,
    hwExitsPageFault: 0,
    hwExitsMmio: 0,
    hwExitsInterrupt: 0,
    tlbMisses: 0,
    walkReferences: 0,
    nestedWalkReferences: 0,
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
  guestCr3Loads: "guest cr3 loads (the guest kernel's mov cr3)",
  realCr3Loads: "real cr3 loads (the real CPU's page-table switches)",
  realTlbFlushes: 'real TLB flushes (by the hypervisor)',
  sensitiveInstructions: 'sensitive instructions executed by the guest (pushf, popf, mov rd, evt)',
  hypercalls: 'hypercalls',
  translations: 'blocks translated',
  translationCacheHits: 'translation cache hits',
  chainedJumps: 'chained jumps',
  translationInvalidations: 'translations invalidated',
  trapsAvoidedByAdaptiveTranslation: 'traps avoided by adaptive translation',
  instructionsInterpreted: 'instructions interpreted in cold blocks (binary translation)',
  hwExits: 'hardware-assist exits',
  hwExitsHlt: 'exits: hlt',
  hwExitsIo: 'exits: port I/O',
  hwExitsCr3: 'exits: cr3 access (shadow paging)',
  hwExitsInvlpg: 'exits: invlpg (shadow paging)',
  hwExitsVmcall: 'exits: vmcall',
  hwExitsPageFault: 'exits: page fault (shadow paging)',
  hwExitsMmio: 'exits: memory-mapped I/O',
  hwExitsInterrupt: 'exits: interrupt injection',
  tlbMisses: 'TLB misses',
  walkReferences: 'page-walk memory references (one-dimensional)',
  nestedWalkReferences: 'nested walk memory references',
};

/** Estimated cycles per event (docs/hypervisor.md, "Costs", says where each figure comes from). */
export interface CostModel {
  instruction: number;
  trap: number;
  emulate: number;
  reflect: number;
  shadowFill: number;
  shadowDrop: number;
  realCr3Load: number;
  /** The fixed part of a TLB miss; the walk's references are charged on top. */
  tlbMiss: number;
  /** One page-table entry read by a one-dimensional walk. */
  walkReference: number;
  hypercall: number;
  translate: number;
  /** One guest-kernel instruction interpreted in a cold block, on top of `instruction`. */
  interpret: number;
  hwExit: number;
  /** One memory reference of a two-dimensional (nested) walk. */
  nestedWalkReference: number;
}

export const COST_PROFILE_NAMES = ['first-gen', 'modern'] as const;
export type CostProfileName = (typeof COST_PROFILE_NAMES)[number];

/**
 * Software costs (traps, emulation, shadows, translation) are the same in both
 * profiles: what changed between them is the hardware, so only the hardware's
 * figures differ and a student sees which conclusions move because of it.
 */
const SOFTWARE_COSTS = {
  instruction: 1,
  trap: 500, // a fault into the hypervisor and back on the real CPU (estimate)
  emulate: 100, // decoding and emulating one instruction, on top of the trap (estimate)
  reflect: 200, // building the guest's trap frame, on top of the trap (estimate)
  shadowFill: 300, // walking the guest table and writing a shadow entry, on top of the trap (estimate)
  shadowDrop: 200, // estimate
  realCr3Load: 50, // estimate; the misses the flush causes are charged as misses
  hypercall: 500, // a trap the guest asks for: no decode, no emulation (Xen's int 0x82)
  translate: 2000, // per block translated (estimate)
  interpret: 20, // per instruction interpreted in a cold block: an interpreter's dispatch and decode (estimate)
};

export const COST_PROFILES: Readonly<Record<CostProfileName, Readonly<CostModel>>> = {
  /** 2006: first-generation VT-x / AMD-V (Adams & Agesen, ASPLOS 2006); 2-D walks without page-walk caches. */
  'first-gen': {
    ...SOFTWARE_COSTS,
    tlbMiss: 10,
    walkReference: 10,
    hwExit: 2000, // exit and entry round trip, plus refilling the untagged TLB it flushed
    nestedWalkReference: 10, // no page-walk cache: each of the up-to-24 references costs a full one
  },
  /** Today: cheap exits, tagged TLBs (VPID/ASID), page-walk caches (Bhargava et al., ASPLOS 2008). */
  modern: {
    ...SOFTWARE_COSTS,
    tlbMiss: 10,
    walkReference: 5, // paging-structure caches hold the upper levels
    hwExit: 500, // a few hundred cycles, no TLB flush (tagged TLB)
    nestedWalkReference: 2, // page-walk caches and the nested TLB skip most 2-D references
  },
};

/** First-generation hardware, the one the lecture and Adams & Agesen talk about (docs/hypervisor.md says why). */
export const DEFAULT_COST_PROFILE: CostProfileName = 'first-gen';
export const DEFAULT_COST_MODEL: Readonly<CostModel> = COST_PROFILES[DEFAULT_COST_PROFILE];

export function isCostProfileName(name: string): name is CostProfileName {
  return (COST_PROFILE_NAMES as readonly string[]).includes(name);
}

/**
 * A cost model from JSON: `"profile"` (first-gen or modern; default first-gen)
 * is the base, any other key overrides that one cost.
 */
export function parseCostModel(json: unknown): CostModel {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error('cost model must be a JSON object');
  const { profile, ...costs } = json as Record<string, unknown>;
  if (profile !== undefined && (typeof profile !== 'string' || !isCostProfileName(profile))) {
    throw new Error(`cost model 'profile' must be one of ${COST_PROFILE_NAMES.map((n) => `'${n}'`).join(', ')}`);
  }
  const model: CostModel = { ...COST_PROFILES[profile ?? DEFAULT_COST_PROFILE] };
  for (const [key, value] of Object.entries(costs)) {
    if (!(key in model)) throw new Error(`unknown cost model key '${key}'; known: profile, ${Object.keys(model).join(', ')}`);
    if (typeof value !== 'number' || !(value >= 0)) throw new Error(`cost model '${key}' must be a non-negative number`);
    (model as unknown as Record<string, number>)[key] = value;
  }
  return model;
}

export function estimateCycles(c: CostCounters, m: CostModel = DEFAULT_COST_MODEL): number {
  const traps = c.trapsProtectionFault + c.trapsPageFault + c.trapsSyscall + c.trapsOther;
  return (
    (c.instructionsPretendKernel + c.instructionsPretendUser) * m.instruction +
    traps * m.trap +
    (c.privilegedEmulated + c.ioEmulated + c.writeProtectEmulations) * m.emulate +
    (c.reflections + c.virtualInterrupts) * m.reflect +
    c.shadowFills * m.shadowFill +
    c.shadowDrops * m.shadowDrop +
    c.realCr3Loads * m.realCr3Load +
    c.tlbMisses * m.tlbMiss +
    c.walkReferences * m.walkReference +
    c.hypercalls * m.hypercall +
    c.translations * m.translate +
    c.instructionsInterpreted * m.interpret +
    c.hwExits * m.hwExit +
    c.nestedWalkReferences * m.nestedWalkReference
  );
}
