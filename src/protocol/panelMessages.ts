// The one shape shared by the debug adapter (which builds it), the extension
// (which relays it) and the webview panels (which draw it). Plain JSON only:
// no simulator objects cross this boundary. Every string that came from the
// guest (labels, console text, instruction text) must be shown escaped.

/** Answer of the custom DAP request `hyperstep/snapshot` (arguments: { guest?: number }). */
export interface PanelSnapshot {
  version: 1;
  /** e.g. "trap-and-emulate / shadow-on-demand / separate" or "none". */
  setting: string;
  /** Why the debugger stopped, in words ("hidden page fault at 0x00400000 ..."). */
  stopDescription: string;
  guest: GuestCpuView;
  pageTables: PageTablesView;
  tlb: TlbView;
  timeline: TimelineEntry[];
  costs: CostsView;
  /** Present under binary translation only. */
  translationCache?: TranslationCacheView;
}

export interface GuestCpuView {
  id: number;
  name: string;
  pc: number;
  isPretendUser: boolean;
  virtualIF: boolean;
  /** The guest's cr3 (its page directory, guest-physical). */
  cr3: number;
  evt: number;
  ksp: number;
  /** The real CPU: its cr3 (machine address of the active shadow, or the guest's own on bare hardware) and mode. */
  realCr3: number;
  isRealUser: boolean;
  ticks: number;
}

export interface PteFlags {
  p: boolean;
  w: boolean;
  u: boolean;
  a: boolean;
  d: boolean;
}

/** One present guest mapping: virtual page -> guest-physical frame. */
export interface GuestMappingView {
  va: number;
  pa: number;
  /** Both levels' bits: W and U are the AND of PDE and PTE, A and D the PTE's. */
  flags: PteFlags;
  pde: number;
  pte: number;
  /** Changed since the previous snapshot (added, or its PTE changed). */
  isChanged: boolean;
}

export interface ShadowMappingView {
  va: number;
  ma: number;
  isWritable: boolean;
  isChanged: boolean;
  /** Set when the guest table and the hypervisor map no longer give this machine frame (a PTE changed without invlpg): why, in words. */
  staleReason?: string;
}

export interface ShadowTableView {
  /** Guest-physical address of the page directory it shadows; -1 when the guest runs with paging off. */
  guestDirectory: number;
  variant: 'kernel' | 'user' | 'both';
  isActive: boolean;
  entries: ShadowMappingView[];
}

export interface PageTablesView {
  guest: GuestMappingView[];
  /** Guest-physical frame -> machine frame, for every frame of guest RAM (identity on bare hardware). */
  hypervisorMap: Array<{ gpa: number; ma: number }>;
  /** Empty on bare hardware; every cached shadow under shadow-proactive. */
  shadows: ShadowTableView[];
  /** Virtual address the stop is about (a faulting address), to highlight in all three tables. */
  highlightVa?: number;
}

export interface TlbEntryView {
  index: number;
  va: number;
  /** Machine (or, on bare hardware, physical) frame. */
  frame: number;
  isWritable: boolean;
  isUser: boolean;
  isDirty: boolean;
  /** Uses of the TLB since this entry was last used: 0 = most recent. */
  age: number;
  /** Set when the guest table (and the hypervisor map) no longer give this frame (a PTE changed without invlpg): why, in words. */
  staleReason?: string;
}

export interface TlbView {
  nEntries: number;
  entries: TlbEntryView[];
  hits: number;
  misses: number;
  lastFlush?: { reason: string; ticks: number; page?: number };
}

export interface TimelineEntry {
  seq: number;
  /** A hypervisor event kind (the exception filter ids) or a machine one ('exception', 'cr3-load', ...). */
  kind: string;
  guest: number;
  pc: number;
  instruction: string;
  description: string;
  ticks: number;
  /** Source location of pc, when the line map knows it. */
  source?: { path: string; line: number };
}

export interface CostsView {
  setting: string;
  rows: Array<{ label: string; value: number }>;
  estimatedCycles: number;
  /** The same program run to completion under other settings, for the side-by-side table. */
  comparisons: Array<{ setting: string; rows: Array<{ label: string; value: number }>; estimatedCycles: number }>;
}

export interface TranslatedBlockView {
  guestAddress: number;
  isPretendUser: boolean;
  guestInstructions: string[];
  generatedCode: string;
  executions: number;
  chainedTo: number[];
  /** Tiered translation: false while the block is still interpreted (not yet hot; `generatedCode` is empty). */
  isTranslated: boolean;
  /** Adaptive translation: why the block was retranslated to call an emulation directly (its last instruction). */
  retranslated?: string;
}

export interface TranslationCacheView {
  blocks: TranslatedBlockView[];
  hits: number;
  misses: number;
  invalidations: number;
}

/** One step of a translation through the guest table, the hypervisor map and the shadow. */
export interface WalkView {
  va: number;
  steps: Array<{ table: 'guest' | 'hypervisor-map' | 'shadow' | 'tlb'; text: string; isOk: boolean }>;
}

export type { PanelKind } from './panels';

/** Extension -> webview. */
export type ToWebviewMessage = { type: 'snapshot'; snapshot: PanelSnapshot } | { type: 'walk'; walk: WalkView } | { type: 'noSession' };

/** Webview -> extension. */
export type FromWebviewMessage =
  | { type: 'ready' }
  /** A snapshot was drawn (the count of snapshots drawn so far); the extension's tests wait on it. */
  | { type: 'rendered'; snapshotCount: number }
  | { type: 'requestWalk'; va: number }
  | { type: 'revealSource'; path: string; line: number }
  | { type: 'compareWith'; setting: string };
