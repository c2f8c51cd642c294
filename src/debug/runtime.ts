// The debug runtime: a facade over the simulator and the hypervisor that owns
// run control (continue, step, step out, pause, step back, reverse continue),
// breakpoints, exception filters, the snapshot history, the hypervisor frame
// and the guest exception-handler frames. Methods in, typed RuntimeEvents out;
// it never imports DAP or VS Code, and counts source lines as the assembler
// does (1-based, like the line map). The session translates.
//
// Running happens in slices (`SLICE_TICKS` guest ticks) with the event loop
// free between them, so `pause` is seen at once even in a guest that runs
// forever.

import { TimelineEntry } from '../protocol/panelMessages';
import { AssembleResult, AsmSymbol, LineMap } from '../asm';
import { StopReason as CpuStopReason } from '../machine/cpu';
import { MachineEvent } from '../machine/events';
import { Op, Vector, VECTOR_NAMES } from '../machine/isa';
import { RunResult } from '../machine/machine';
import { formatInstr } from '../machine/format';
import { HypervisorEvent } from '../hypervisor/events';
import { Divergence, findDivergence } from '../hypervisor/compare';
import { TimedInput } from '../machine/devices/keyboard';
import { PseudocodeLine } from '../hypervisor/pseudocode';
import { ConfigError, createSystem, settingName, SystemOptions, validateSettings, VirtualSystem } from '../hypervisor/system';
import { LoadedGuest, loadProgram } from '../loader/program';
import { formatDiagnostic } from '../asm';
import { BreakpointRecord, Breakpoints, BreakpointSpec, virtualAliases } from './breakpoints';
import { EvalContext, EvalError, evaluateExpression, formatValue, hex8, interpolate } from './evaluate';
import { DIVERGENCE_SEARCH_LIMIT, EXCEPTION_FILTERS, FilterCondition, FilterEvent, parseFilterCondition } from './exceptionFilters';
import { estimateBytes, History, Snapshot } from './history';
import { LaunchConfig } from './launchConfig';
import { Target } from './target';

export const SLICE_TICKS = 50_000;
/** Single steps per slice when stepping out or watching data. */
const STEPS_PER_SLICE = 5_000;
const TIMELINE_CAPACITY = 5000;
/** Ticks between whole-state comparisons in the divergence search (findDivergence replays one such chunk tick by tick). */
const DIVERGENCE_SEARCH_CHUNK = 2000;

/** The cached result of the divergence search: the first divergence of this run from bare hardware, if any. */
interface DivergenceSearch {
  /** The inputs the search ran with (launch input plus typed input), to tell when it must run again. */
  key: string;
  divergence: Divergence | undefined;
  /** The guest's retired count right after the diverging instruction: where the run stops. */
  stopRetired: number | undefined;
  description: string;
  /** Retired instructions compared (the bound, or fewer when both runs ended first). */
  limit: number;
}

export type StopKind = 'entry' | 'step' | 'breakpoint' | 'exception' | 'pause' | 'data breakpoint' | 'instruction breakpoint' | 'goto';

export interface StopInfo {
  reason: StopKind;
  guest: number;
  /** In words: "protection fault at 0x00001040: `in r1, 0x60` in pretend kernel mode, will be emulated". */
  description: string;
  /** Exception filter id, or 'triple-fault', 'bus-error', ... for fatal stops. */
  exceptionId?: string;
  hitBreakpointIds?: number[];
  /** A virtual address the stop is about (a fault address), for the panels. */
  highlightVa?: number;
}

export type RuntimeEvent =
  | { kind: 'stopped'; stop: StopInfo }
  | { kind: 'output'; category: 'stdout' | 'console' | 'stderr'; text: string }
  | { kind: 'exited'; exitCode: number; description: string };

export interface FileReader {
  readFile(path: string): string | undefined;
}

/** An exception handler of the guest that has not returned yet. */
export interface HandlerEntry {
  vector: number;
  /** Guest-virtual pc of the interrupted code (the saved pc of the trap frame). */
  savedPc: number;
  fromUser: boolean;
  /** sp of the handler at entry: the trap frame (address, error, pc, flags, mode, sp) lies here. */
  frameSp: number;
  cr3: number;
}

export interface HypervisorFrame {
  guest: number;
  trace: PseudocodeLine[];
  index: number;
  /** Guest pc of the trapping instruction. */
  trapPc: number;
  description: string;
  vector?: number;
  errorCode?: number;
  address?: number;
  /** Run position of the stop before the trap was handled. */
  position: number;
}

export interface FrameInfo {
  kind: 'hypervisor' | 'guest' | 'handler';
  name: string;
  /** Guest-virtual pc (the hypervisor frame: the trapping pc). */
  pc: number;
  source?: { path: string; line: number };
  hypervisorLine?: PseudocodeLine;
  handler?: HandlerEntry;
}

/** A timeline entry as the runtime keeps it: the panel's fields, plus where in the run it happened. */
export interface TimelineRecord extends Omit<TimelineEntry, 'source'> {
  position: number;
  gpa?: number;
}

interface RuntimeBookkeeping {
  eventCount: number;
  handlerStacks: HandlerEntry[][];
  shadowDrops: number;
}

type Request =
  | { kind: 'continue' }
  | { kind: 'step'; guest: number; isStepIn: boolean; isOver: boolean }
  | { kind: 'stepOut'; guest: number };

/** What one slice of running came to. */
type Outcome = 'running' | 'stopped' | 'exited' | 'waiting';

interface Fatal { reason: CpuStopReason; detail: string; exitCode: number }

export interface SyncRunResult { reason: string; retired: number; historyBytes: number; snapshots: number }

export const EXIT_CODES: Partial<Record<CpuStopReason, number>> = {
  'halted': 0, 'triple-fault': 2, 'bus-error': 3, 'instruction-limit': 4, 'exception-loop': 5,
};

/**
 * Pseudocode lines at which the hypervisor has not changed the guest's state
 * yet: while the hypervisor frame is on one of these (before any other line of
 * the trace), the state from before handling is shown; from the first other
 * line on, the state after handling.
 */
const PRE_EFFECT_LINES = new Set<PseudocodeLine>(['entry', 'check-gp', 'decode', 'check-pf', 'walk', 'check-vmcall', 'reflect-start', 'reflect-stack']);

/** A saved system state with the runtime's bookkeeping at that moment. */
interface SavedState { state: unknown; runtime: RuntimeBookkeeping }

/** Hypervisor events whose filters stop right after the event (the trap filters stop before, in shouldStopAtTrap). */
const AFTER_HV_EVENTS = new Set<string>(['reflected', 'cr3-load', 'bt-translate', 'hw-exit', 'divergence']);

function isGuestStop(reason: CpuStopReason): boolean {
  return reason in EXIT_CODES;
}

export class DebugRuntime {
  private listeners: Array<(event: RuntimeEvent) => void> = [];
  readonly guests: LoadedGuest[];
  readonly lineMaps: LineMap[];
  private readonly labels: AsmSymbol[][];
  private readonly systemOptions: SystemOptions;

  /** The settings this run uses, for running the same program under others (costs panel). */
  systemOptionsForComparison(): SystemOptions {
    return { ...this.systemOptions, guests: this.guests };
  }
  target!: Target;
  readonly breakpoints: Breakpoints;
  private filters = new Map<string, FilterCondition | undefined>();
  private divergenceSearch: DivergenceSearch | undefined;
  private readonly history: History<RuntimeBookkeeping>;

  private eventCount = 0;
  private handlerStacks: HandlerEntry[][] = [];
  private shadowDropsSeen = 0;
  private timeline: TimelineRecord[] = [];
  private timelineSeq = 0;
  private printed: number[] = [];
  private pendingOutput: number[][] = [];
  private lineStart: boolean[] = [];

  /** Set while replaying: the position to stop at; filters and breakpoints stay quiet. */
  private replayTarget: number | undefined;
  private isReplaying = false;
  private suppressFilters = false;
  private pendingStop: StopInfo | undefined;
  private trapStop: { event: HypervisorEvent; filterId?: string } | undefined;
  private stepWatch: { guest: number; isDelivered: boolean } | undefined;
  private stepInGuest: number | undefined;
  private tempBreak: { guest: number; address: number; sp: number } | undefined;
  /** Per guest: the virtual aliases of its breakpoints, for the cr3 they were computed under. */
  /** Guest -> (its cr3 -> the virtual addresses of breakpoints in that address space); dropped when mappings change (invlpg). */
  private aliasCache = new Map<number, Map<number, number[]>>();

  hypervisorFrame: HypervisorFrame | undefined;
  /** The states the hypervisor frame shows: before handling (on the first lines) and after. */
  private hvFrameStates: { before: SavedState | undefined; after: SavedState; firstEffect: number; shown: 'before' | 'after' } | undefined;
  lastStop: StopInfo | undefined;
  private fatal: Fatal | undefined;
  private isRunning = false;
  private isPauseRequested = false;
  private isWaitingForInput = false;
  private hasExited = false;
  /** The thread the user last stepped or stopped in. */
  focusGuest = 0;

  constructor(readonly config: LaunchConfig, private readonly reader: FileReader) {
    const load = loadProgram(config.program, { readFile: reader.readFile, memory: config.memory, inputs: config.inputs });
    if (load.failed.length > 0) {
      const messages = load.failed.flatMap((g) => g.assembled.diagnostics.filter((d) => d.severity === 'error').map((d) => formatDiagnostic(d)));
      throw new ConfigError(`${config.program} does not assemble:\n${messages.slice(0, 10).join('\n')}${messages.length > 10 ? `\n(${messages.length - 10} more)` : ''}`);
    }
    this.guests = load.guests.map((g) => ({ ...g, memory: g.memory ?? config.memory }));
    const description = load.description;
    this.systemOptions = {
      virtualization: config.virtualization ?? description?.virtualization ?? 'none',
      paging: config.paging ?? description?.paging,
      kernelShadows: config.kernelShadows ?? description?.kernelShadows,
      tlbEntries: config.tlbEntries ?? description?.tlbEntries,
      maxInstructions: config.maxInstructions,
      isInteractive: true,
      guests: this.guests,
    };
    validateSettings(this.systemOptions);
    if (this.systemOptions.virtualization === 'none' && this.guests.length > 1) {
      throw new ConfigError(`${config.program} describes ${this.guests.length} guests; bare hardware (virtualization 'none') runs one: set "virtualization": "trap-and-emulate"`);
    }
    this.lineMaps = this.guests.map((g) => g.assembled.lineMap);
    this.labels = this.guests.map((g) => g.assembled.symbols.filter((s) => s.kind !== 'equ').sort((a, b) => a.value - b.value));
    this.breakpoints = new Breakpoints(this.lineMaps);
    this.history = new History(config.historySize, config.snapshotInterval);
    this.install(this.makeSystem());
    this.printed = this.guests.map(() => 0);
    this.pendingOutput = this.guests.map(() => []);
    this.lineStart = this.guests.map(() => true);
    this.history.reset({ position: 0, state: undefined, runtime: this.bookkeeping(), nInterventions: 0, bytes: 0 });
  }

  // ------------------------------------------------------------ events out

  on(listener: (event: RuntimeEvent) => void): void {
    this.listeners.push(listener);
  }

  private emit(event: RuntimeEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  get system(): VirtualSystem { return this.target.system; }
  get setting(): string { return this.system.settingName; }
  get guestCount(): number { return this.guests.length; }
  get isStopped(): boolean { return !this.isRunning && !this.hasExited && !this.isWaitingForInput; }
  get exited(): boolean { return this.hasExited; }
  get assembled(): AssembleResult[] { return this.guests.map((g) => g.assembled); }

  banner(): string {
    const names = this.guests.map((g) => g.name).join(', ');
    return `hyperstep: ${this.config.program} (${this.guests.length === 1 ? `guest ${names}` : `${this.guests.length} guests: ${names}`}) under ${settingName(this.systemOptions)}\n`;
  }

  // ------------------------------------------------------------ the system

  private makeSystem(): VirtualSystem {
    return createSystem(this.systemOptions);
  }

  /** Attaches the runtime to a (new) system: every subscription in one place. */
  private install(system: VirtualSystem): void {
    this.target = new Target(system);
    system.events.on((event) => this.onMachineEvent(event));
    system.hvEvents?.on((event) => this.onHypervisorEvent(event));
    for (let g = 0; g < system.guestCount; g++) {
      const guestConsole = this.target.console(g);
      guestConsole.onByte = (byte) => this.onConsoleByte(g, byte, guestConsole.length);
    }
    const hv = this.target.hv;
    if (hv) {
      hv.shouldStopAtTrap = undefined;
      // After a guest switch a step or a replay re-aims the tick budget, which
      // counts the ticks of whichever guest is current.
      hv.onGuestSwitch = () => this.onGuestSwitch();
    }
    this.handlerStacks = this.guests.map(() => []);
    this.eventCount = 0;
    this.shadowDropsSeen = 0;
    this.aliasCache.clear();
  }

  private bookkeeping(): RuntimeBookkeeping {
    return { eventCount: this.eventCount, handlerStacks: this.handlerStacks.map((s) => s.map((e) => ({ ...e }))), shadowDrops: this.shadowDropsSeen };
  }

  /** Instruction boundaries passed so far: guest ticks plus exceptions raised and delivered. */
  position(): number {
    return this.target.totalTicks() + this.eventCount;
  }

  // ------------------------------------------------------------ listeners

  private onConsoleByte(g: number, byte: number, length: number): void {
    // After a step back the same bytes come again; each is printed once.
    if (length <= this.printed[g]) return;
    this.printed[g] = length;
    this.pendingOutput[g].push(byte);
  }

  private flushOutput(): void {
    for (let g = 0; g < this.pendingOutput.length; g++) {
      const bytes = this.pendingOutput[g];
      if (bytes.length === 0) continue;
      let text = Buffer.from(bytes).toString('latin1');
      bytes.length = 0;
      if (this.guests.length > 1) {
        // Several guests share the console line by line, as the CLI prints them.
        const name = this.guests[g].name;
        let out = '';
        for (const ch of text) {
          if (this.lineStart[g]) out += `[${name}] `;
          out += ch;
          this.lineStart[g] = ch === '\n';
        }
        text = out;
      }
      this.emit({ kind: 'output', category: 'stdout', text });
    }
  }

  private afterEventCount(): void {
    if (this.replayTarget === undefined) return;
    const cpu = this.target.cpu;
    cpu.runUntilTick = cpu.ticks + Math.max(0, this.replayTarget - this.position());
    cpu.requestService();
  }

  private onGuestSwitch(): void {
    const cpu = this.target.cpu;
    if (this.replayTarget !== undefined) { this.afterEventCount(); return; }
    if (this.stepWatch && this.stepWatch.guest === this.target.currentGuest() && !cpu.isHalted) {
      cpu.runUntilTick = cpu.ticks + 1;
      cpu.requestService();
    }
  }

  private onMachineEvent(event: MachineEvent): void {
    const isBare = !this.target.hv;
    switch (event.kind) {
      case 'exception': {
        this.eventCount++;
        this.afterEventCount();
        if (!isBare) return;
        const isFetchFault = event.vector === Vector.PF && (event.errorCode & 16) !== 0;
        const text = isFetchFault ? '' : this.instructionText(0, event.pc);
        this.pushHandler(0, event.vector, event.pc, event.fromUser);
        const mode = event.fromUser ? 'user mode' : 'kernel mode';
        const name = VECTOR_NAMES[event.vector] ?? `vector ${event.vector}`;
        let description = `${name} at pc ${hex8(event.pc)}${text ? `: \`${text}\`` : ''} in ${mode}, delivered to the handler`;
        let filterId: string | undefined;
        if (event.vector === Vector.GP) { filterId = 'protection-fault'; description = `protection fault at ${hex8(event.pc)}: \`${text}\` in ${mode}, delivered to the guest's #GP handler`; }
        else if (event.vector === Vector.PF) { filterId = 'guest-page-fault'; description = `page fault at ${hex8(event.faultAddress)} (pc ${hex8(event.pc)}), error ${event.errorCode}, in ${mode}: delivered to the guest's #PF handler`; }
        else if (event.vector === Vector.SYSCALL) filterId = 'syscall';
        this.record(event.vector === Vector.SYSCALL ? 'syscall' : event.vector === Vector.GP ? 'protection-fault' : event.vector === Vector.PF ? 'guest-page-fault' : 'exception', 0, event.pc, text, description, event.ticks);
        this.deliveredTo(0);
        if (filterId) this.filterAfter(filterId, { kind: filterId, guest: 0, pc: event.pc, instruction: text, description, ticks: event.ticks, isUser: event.fromUser, vector: event.vector, errorCode: event.errorCode, address: event.faultAddress }, event.vector === Vector.PF ? event.faultAddress : undefined);
        return;
      }
      case 'cr3-load':
        if (!isBare) {
          // Under hardware assist with nested paging the guest's own cr3 loads do not exit: follow them here.
          if (this.breakpoints.hasCodeBreakpoints && this.target.hv?.isNested) this.refreshCpuBreakpoints();
          return;
        }
        // Aliases are cached per address space, so a switch back to a known cr3 costs a lookup.
        this.refreshCpuBreakpoints();
        this.record('cr3-load', 0, this.target.pc(0), `mov cr3`, `cr3 load of ${hex8(event.value)}: the TLB is flushed`, event.ticks);
        this.filterAfter('cr3-load', this.filterEvent('cr3-load', 0, `cr3 load of ${hex8(event.value)}`, event.value));
        return;
      case 'tlb-flush': {
        const g = this.target.currentGuest();
        const what = event.page === undefined ? `${event.nRemoved} entries removed` : `page ${hex8(event.page)}${event.nRemoved ? '' : ' (not cached)'}`;
        const description = `TLB flush (${event.reason === 'hypervisor' ? 'by the hypervisor' : event.reason}): ${what}`;
        if (isBare && event.reason === 'invlpg') { this.aliasCache.delete(0); this.refreshCpuBreakpoints(); }
        if (isBare) this.record('tlb-flush', g, this.target.pc(g), '', description, event.ticks);
        this.filterAfter('tlb-flush', this.filterEvent('tlb-flush', g, description, event.page));
        return;
      }
      case 'sensitive': {
        const g = this.target.currentGuest();
        const description = `sensitive instruction \`${event.mnemonic}\` at ${hex8(event.pc)} ran in real ${event.isUser ? 'user' : 'kernel'} mode without trapping`;
        this.record('sensitive', g, event.pc, event.mnemonic, description, event.ticks);
        this.filterAfter('sensitive', { kind: 'sensitive', guest: g, pc: event.pc, instruction: event.mnemonic, description, ticks: event.ticks, isUser: this.target.isUser(g) });
        return;
      }
      default:
        return;
    }
  }

  private onHypervisorEvent(event: HypervisorEvent): void {
    if (event.kind === 'reflected') {
      this.eventCount++;
      this.afterEventCount();
      const guest = this.target.guestObject(event.guest);
      // The event comes before the guest enters pretend kernel mode: its mode is the interrupted code's.
      this.pushHandler(event.guest, event.vector ?? 0, event.pc, guest ? event.isPretendUser : false);
      this.deliveredTo(event.guest);
    }
    if (event.kind === 'cr3-load' || event.kind === 'tlb-flush') {
      if (event.kind === 'tlb-flush') this.aliasCache.delete(event.guest);
      this.refreshCpuBreakpoints();
    }
    this.record(event.kind, event.guest, event.pc, event.instruction, event.description, event.ticks);
    if (AFTER_HV_EVENTS.has(event.kind)) {
      this.filterAfter(event.kind, this.toFilterEvent(event, event.kind), event.kind === 'reflected' ? event.address : undefined);
    }
    const drops = this.target.hv!.counters.shadowDrops;
    if (drops > this.shadowDropsSeen) {
      const n = drops - this.shadowDropsSeen;
      this.shadowDropsSeen = drops;
      const description = `${n} shadow page table${n === 1 ? '' : 's'} dropped (after: ${event.description})`;
      this.record('shadow-dropped', event.guest, event.pc, event.instruction, description, event.ticks);
      this.filterAfter('shadow-dropped', { ...this.toFilterEvent(event, 'shadow-dropped'), description });
    }
  }

  private pushHandler(g: number, vector: number, savedPc: number, fromUser: boolean): void {
    if (this.isReplaying && this.replayTarget === undefined) return;
    const stack = this.handlerStacks[g];
    if (!stack) return;
    const regs = this.target.regs(g);
    if (fromUser) stack.length = 0;
    else this.pruneHandlers(g, regs[15] >>> 0);
    const base = fromUser ? this.target.ksp(g) : regs[15] >>> 0;
    stack.push({ vector, savedPc: savedPc >>> 0, fromUser, frameSp: (base - 24) >>> 0, cr3: this.target.cr3(g) });
    if (stack.length > 64) stack.shift();
  }

  /** A handler is active while the guest is in kernel mode and its sp has not climbed above the trap frame's pc slot. */
  private pruneHandlers(g: number, sp: number): void {
    const stack = this.handlerStacks[g];
    while (stack.length > 0 && sp > stack[stack.length - 1].frameSp + 8) stack.pop();
  }

  activeHandlers(g: number): HandlerEntry[] {
    const stack = this.handlerStacks[g] ?? [];
    if (this.target.isUser(g)) { stack.length = 0; return []; }
    this.pruneHandlers(g, this.target.regs(g)[15] >>> 0);
    return [...stack].reverse();
  }

  private deliveredTo(g: number): void {
    if (this.stepWatch && this.stepWatch.guest === g && !this.isReplaying) {
      this.stepWatch.isDelivered = true;
      this.requestCpuStop();
    }
  }

  private record(kind: string, guest: number, pc: number, instruction: string, description: string, ticks: number): void {
    const gpa = this.target.toPhysical(guest, pc);
    this.timeline.push({ seq: ++this.timelineSeq, kind, guest, pc: pc >>> 0, instruction, description, ticks, position: this.position(), gpa });
    if (this.timeline.length > TIMELINE_CAPACITY * 1.25) this.timeline = this.timeline.slice(-TIMELINE_CAPACITY);
  }

  timelineEntries(): TimelineRecord[] {
    return this.timeline.slice(-TIMELINE_CAPACITY);
  }

  // ------------------------------------------------------------ exception filters

  setExceptionFilters(filters: Array<{ filterId: string; condition?: string }>): Array<{ isVerified: boolean; message?: string }> {
    this.filters = new Map();
    const results = filters.map(({ filterId, condition }) => {
      if (!EXCEPTION_FILTERS.some((f) => f.filter === filterId)) return { isVerified: false, message: `unknown filter '${filterId}'` };
      try {
        this.filters.set(filterId, parseFilterCondition(condition));
      } catch (e) {
        return { isVerified: false, message: (e as Error).message };
      }
      if (filterId === 'divergence' && !this.canDiverge) {
        return { isVerified: false, message: this.guests.length > 1 ? 'the divergence search runs one guest: this machine has several' : 'this session runs on bare hardware: there is nothing to compare with' };
      }
      return { isVerified: true };
    });
    // The search runs once, lazily: after this response, or at the next resume, whichever comes first.
    if (this.filters.has('divergence') && this.canDiverge && !this.isDivergenceSearchCurrent()) {
      setImmediate(() => { if (!this.hasExited && !this.isRunning) this.ensureDivergenceSearch(); });
    }
    return results;
  }

  // ------------------------------------------------------------ the divergence filter

  /** The divergence filter compares one guest under a hypervisor setting with bare hardware. */
  private get canDiverge(): boolean {
    return this.systemOptions.virtualization !== 'none' && this.guests.length === 1;
  }

  /** Keyboard input typed during the session, at the guest tick it was typed (the search replays it at that tick). */
  private typedInputs(): TimedInput[] {
    return this.history.interventions.flatMap((i) => (i.input ? [i.input] : []));
  }

  private divergenceSearchKey(): string {
    return JSON.stringify(this.typedInputs().map((i) => [i.tick, Buffer.from(i.bytes).toString('latin1')]));
  }

  private isDivergenceSearchCurrent(): boolean {
    return this.divergenceSearch !== undefined && this.divergenceSearch.key === this.divergenceSearchKey();
  }

  /**
   * Runs the divergence search unless its cached result still holds: the same
   * guest image, inputs (launch input plus the input typed so far, each at the
   * guest tick it was typed) and TLB size, once on bare hardware and once
   * under this session's setting, for at most DIVERGENCE_SEARCH_LIMIT retired
   * instructions. Register and memory edits are not part of it.
   */
  private ensureDivergenceSearch(): DivergenceSearch | undefined {
    if (!this.filters.has('divergence') || !this.canDiverge) return undefined;
    const key = this.divergenceSearchKey();
    if (this.divergenceSearch?.key === key) return this.divergenceSearch;
    const guest = this.guests[0];
    const limit = Math.min(DIVERGENCE_SEARCH_LIMIT, this.config.maxInstructions ?? DIVERGENCE_SEARCH_LIMIT);
    const searchGuest = { name: guest.name, image: guest.image, memory: guest.memory, inputs: [...(guest.inputs ?? []), ...this.typedInputs()] };
    const make = (virtualization: SystemOptions['virtualization']) => (): VirtualSystem =>
      createSystem({ ...this.systemOptions, virtualization, guests: [searchGuest], maxInstructions: limit, isInteractive: false });
    const result = findDivergence(make('none'), make(this.systemOptions.virtualization), { chunk: DIVERGENCE_SEARCH_CHUNK });
    const d = result.divergence;
    const description = d
      ? `divergence from bare hardware after ${d.retired} instructions at ${hex8(d.pc)}: \`${d.instruction}\` — ${d.differences.join('; ')}; ${d.explanation}`
      : `no divergence from bare hardware in ${result.ticksCompared} ticks (bare: ${result.reference.reason}, ${result.otherSetting}: ${result.other.reason}; the search stops after ${limit} instructions)`;
    this.divergenceSearch = { key, divergence: d, stopRetired: d ? d.retired + 1 : undefined, description, limit };
    this.emit({ kind: 'output', category: 'console', text: `hyperstep: divergence search: ${d ? `${description}; the run stops right after that instruction` : description}\n` });
    return this.divergenceSearch;
  }

  /** A tick budget that ends the run when the guest retires the diverging instruction, if that is still ahead. */
  private divergenceCap(runUntilTick: number): number {
    const stopRetired = this.divergenceSearch?.stopRetired;
    if (stopRetired === undefined || !this.filters.has('divergence') || this.isReplaying) return runUntilTick;
    const retired = this.target.retired(0);
    if (retired >= stopRetired) return runUntilTick;
    // Ticks count retired instructions plus idle ticks: this is the earliest tick it can happen.
    return Math.min(runUntilTick, this.target.cpu.ticks + (stopRetired - retired));
  }

  /** After a run that started at `retiredBefore`: stops when it retired the diverging instruction (and the condition holds). */
  private checkDivergence(retiredBefore: number): boolean {
    const search = this.divergenceSearch;
    const stopRetired = search?.stopRetired;
    if (!search?.divergence || stopRetired === undefined || this.isReplaying || this.suppressFilters) return false;
    const retired = this.target.retired(0);
    if (retiredBefore >= stopRetired || retired < stopRetired) return false;
    const d = search.divergence;
    this.record('divergence', 0, d.pc, d.instruction, search.description, this.target.ticks(0));
    const event: FilterEvent = { kind: 'divergence', guest: 0, pc: d.pc, instruction: d.instruction, description: search.description, ticks: this.target.ticks(0), isUser: this.target.isUser(0) };
    if (!this.filterMatches('divergence', event)) return false;
    this.pendingStop = undefined;
    this.stop({ reason: 'exception', guest: 0, description: search.description, exceptionId: 'divergence' });
    return true;
  }

  private filterEvent(kind: string, g: number, description: string, address?: number): FilterEvent {
    const pc = this.target.pc(g);
    return { kind, guest: g, pc, instruction: this.instructionText(g, pc), description, ticks: this.target.ticks(g), isUser: this.target.isUser(g), address };
  }

  private toFilterEvent(event: HypervisorEvent, kind: string): FilterEvent {
    return { kind, guest: event.guest, pc: event.pc, instruction: event.instruction, description: event.description, ticks: event.ticks, isUser: event.isPretendUser, vector: event.vector, errorCode: event.errorCode, address: event.address };
  }

  private filterMatches(id: string, event: FilterEvent): boolean {
    if (!this.filters.has(id)) return false;
    const condition = this.filters.get(id);
    try {
      return !condition || condition(event);
    } catch {
      return false;
    }
  }

  private filterAfter(id: string, event: FilterEvent, highlightVa?: number): void {
    if (this.isReplaying || this.suppressFilters || !this.filterMatches(id, event)) return;
    this.requestStop({ reason: 'exception', guest: event.guest, description: event.description, exceptionId: id, highlightVa });
  }

  private requestStop(stop: StopInfo): void {
    if (!this.pendingStop) this.pendingStop = stop;
    this.requestCpuStop();
  }

  private requestCpuStop(): void {
    const cpu = this.target.cpu;
    cpu.stopRequest = 'requested';
    cpu.requestService();
  }

  /** The filters a trap could match before the hypervisor handles it. */
  private beforeCandidates(event: HypervisorEvent): string[] {
    switch (event.kind) {
      case 'protection-fault': {
        if (event.isPretendUser) return ['protection-fault'];
        const isIo = /^(in|out)\b/.test(event.instruction);
        return ['protection-fault', isIo ? 'io-emulated' : 'privileged-emulated'];
      }
      case 'io-emulated': case 'hidden-page-fault': case 'guest-page-fault': case 'syscall': case 'hypercall':
        return [event.kind];
      default:
        return [];
    }
  }

  private readonly shouldStopAtTrap = (event: HypervisorEvent): boolean => {
    if (this.isReplaying || this.suppressFilters) return false;
    for (const id of this.beforeCandidates(event)) {
      if (this.filterMatches(id, this.toFilterEvent(event, id))) {
        this.trapStop = { event, filterId: id };
        return true;
      }
    }
    if (this.stepInGuest === event.guest) {
      this.trapStop = { event };
      return true;
    }
    return false;
  };

  private get hasBeforeFilters(): boolean {
    return EXCEPTION_FILTERS.some((f) => f.isBeforeHandling && this.filters.has(f.filter));
  }

  // ------------------------------------------------------------ breakpoints

  setSourceBreakpoints(file: string, specs: BreakpointSpec[]): BreakpointRecord[] {
    const records = this.breakpoints.setSource(file, specs);
    this.aliasCache.clear();
    this.refreshCpuBreakpoints();
    return records;
  }

  setInstructionBreakpoints(specs: BreakpointSpec[]): BreakpointRecord[] {
    const records = this.breakpoints.setInstructions(specs);
    this.refreshCpuBreakpoints();
    return records;
  }

  setDataBreakpoints(specs: BreakpointSpec[]): BreakpointRecord[] {
    return this.breakpoints.setData(specs);
  }

  private aliases(g: number): number[] {
    const cr3 = this.target.cr3(g);
    let perGuest = this.aliasCache.get(g);
    if (!perGuest) { perGuest = new Map(); this.aliasCache.set(g, perGuest); }
    let list = perGuest.get(cr3);
    if (!list) {
      list = virtualAliases(this.target, g, this.breakpoints.physicalAddresses(g));
      perGuest.set(cr3, list);
    }
    return list;
  }

  /** Gives the CPU every virtual pc where a breakpoint may be; a stop there is checked against physical addresses. */
  private refreshCpuBreakpoints(): void {
    if (this.isReplaying) return;
    const cpu = this.target.cpu;
    if (!this.breakpoints.hasCodeBreakpoints && !this.tempBreak) {
      if (cpu.breakpoints.size > 0) cpu.setBreakpoints([]);
      return;
    }
    const addresses: number[] = this.breakpoints.instructions.map((r) => r.address!);
    for (let g = 0; g < this.guests.length; g++) addresses.push(...this.aliases(g));
    if (this.tempBreak) addresses.push(this.tempBreak.address);
    cpu.setBreakpoints(addresses);
  }

  /** Decides whether the breakpoints at the current pc stop the run: conditions, hit counts, logpoints. */
  private checkBreakpoints(g: number, pc: number, options: { isCounting: boolean }): BreakpointRecord[] {
    const gpa = this.target.toPhysical(g, pc);
    const stopping: BreakpointRecord[] = [];
    for (const record of this.breakpoints.hitsAt(g, pc, gpa)) {
      if (record.condition) {
        try {
          if (evaluateExpression(record.condition, this.evalContext(g)) === 0) continue;
        } catch (e) {
          if (options.isCounting) this.emit({ kind: 'output', category: 'stderr', text: `breakpoint condition '${record.condition}': ${(e as Error).message}\n` });
          continue;
        }
      }
      if (options.isCounting) {
        record.hits++;
        if (record.hitCondition && !record.hitCondition(record.hits)) continue;
        if (record.logMessage !== undefined) {
          this.flushOutput();
          this.emit({ kind: 'output', category: 'console', text: interpolate(record.logMessage, this.evalContext(g)) + '\n' });
          continue;
        }
      } else if (record.logMessage !== undefined || record.hitCondition) continue;
      stopping.push(record);
    }
    return stopping;
  }

  // ------------------------------------------------------------ run control (public)

  start(): void {
    if (this.config.isStopOnEntry) this.stop({ reason: 'entry', guest: 0, description: `stopped at the entry point ${hex8(this.target.pc(0))}` });
    else {
      // Nothing stopped at the entry yet: a breakpoint there must hit.
      this.isFreshStart = true;
      this.resume({ kind: 'continue' });
    }
  }

  private isFreshStart = false;

  continue(): void { this.resume({ kind: 'continue' }); }
  next(guest: number): void { this.resume({ kind: 'step', guest, isStepIn: false, isOver: true }); }
  stepIn(guest: number): void { this.resume({ kind: 'step', guest, isStepIn: true, isOver: false }); }
  stepOut(guest: number): void { this.resume({ kind: 'stepOut', guest }); }

  pause(): void {
    if (this.isWaitingForInput) {
      this.isWaitingForInput = false;
      this.stop({ reason: 'pause', guest: this.target.currentGuest(), description: 'paused while the guest waits in hlt for keyboard input' });
      return;
    }
    if (this.isRunning) this.isPauseRequested = true;
  }

  /** Runs a request to its stop, slice by slice, yielding to the event loop in between. */
  private resume(request: Request): void {
    if (this.isRunning || this.hasExited) return;
    if (this.fatal) { this.exit(this.fatal.exitCode, this.fatal.detail); return; }
    if (this.hypervisorFrame && this.resumeInHypervisor(request)) return;
    this.isRunning = true;
    this.isPauseRequested = false;
    this.isWaitingForInput = false;
    this.lastStop = undefined;
    if (request.kind !== 'continue') this.focusGuest = request.guest;
    this.ensureDivergenceSearch();
    const driver = this.makeDriver(request);
    const loop = (): void => {
      let outcome: Outcome;
      try {
        outcome = driver();
      } catch (e) {
        // A JS exception here is a hyperstep bug; the session stays usable.
        this.isRunning = false;
        this.clearRunState();
        this.stop({ reason: 'exception', guest: this.target.currentGuest(), exceptionId: 'internal-error', description: `internal error in hyperstep: ${(e as Error).stack ?? e}` });
        return;
      }
      this.flushOutput();
      if (outcome === 'running') {
        if (this.isPauseRequested) {
          this.isRunning = false;
          this.clearRunState();
          this.stop({ reason: 'pause', guest: this.target.currentGuest(), description: 'paused' });
          return;
        }
        setImmediate(loop);
        return;
      }
      this.isRunning = false;
      this.clearRunState();
      if (outcome === 'waiting') {
        this.isWaitingForInput = true;
        this.emit({ kind: 'output', category: 'console', text: 'hyperstep: the guest waits in hlt for keyboard input; type `input TEXT` (or `> TEXT`) in the debug console, or pause.\n' });
      }
    };
    loop();
  }

  private clearRunState(): void {
    this.stepWatch = undefined;
    this.stepInGuest = undefined;
    this.tempBreak = undefined;
    this.pendingStop = undefined;
    this.trapStop = undefined;
    this.refreshCpuBreakpoints();
  }

  /** Stepping while the hypervisor frame is shown moves through its pseudocode lines. */
  private resumeInHypervisor(request: Request): boolean {
    const frame = this.hypervisorFrame!;
    if (request.kind === 'step') {
      frame.index++;
      if (frame.index < frame.trace.length) {
        this.showHypervisorState();
        this.stop({ reason: 'step', guest: frame.guest, description: `hypervisor: ${frame.trace[frame.index]}` });
        return true;
      }
    }
    this.leaveHypervisorFrame();
    if (request.kind === 'continue') return false;
    this.stop({ reason: 'step', guest: frame.guest, description: 'back in the guest' });
    return true;
  }

  private setupResume(): void {
    const cpu = this.target.cpu;
    this.pendingStop = undefined;
    this.trapStop = undefined;
    cpu.skipBreakpointAt = this.isFreshStart ? -1 : cpu.pc;
    this.isFreshStart = false;
    if (this.target.hv) this.target.hv.shouldStopAtTrap = this.hasBeforeFilters || this.stepInGuest !== undefined ? this.shouldStopAtTrap : undefined;
    this.refreshCpuBreakpoints();
  }

  private makeDriver(request: Request): () => Outcome {
    if (request.kind === 'continue') {
      if (this.breakpoints.data.length > 0) return this.singleStepDriver({ kind: 'data' });
      this.setupResume();
      return () => this.continueSlice();
    }
    if (request.kind === 'stepOut') return this.singleStepDriver({ kind: 'out', guest: request.guest });
    const g = request.guest;
    const hv = this.target.hv;
    if (request.isStepIn && hv?.pendingTrap && hv.current.id === g) {
      return () => { this.enterHypervisor(g, this.lastTrapEvent); return 'stopped'; };
    }
    const instr = this.target.peek(g, this.target.pc(g));
    if (request.isOver && !hv?.pendingTrap && (instr?.info.op === Op.CALL_I || instr?.info.op === Op.CALL_R) && this.target.currentGuest() === g) {
      this.tempBreak = { guest: g, address: (this.target.pc(g) + instr.length) >>> 0, sp: this.target.regs(g)[15] >>> 0 };
      this.setupResume();
      return () => this.continueSlice();
    }
    if (request.isStepIn && hv) this.stepInGuest = g;
    this.setupResume();
    this.stepWatch = { guest: g, isDelivered: false };
    const startRetired = this.target.retired(g);
    return () => this.stepSlice(g, startRetired);
  }

  private lastTrapEvent: HypervisorEvent | undefined;

  private run(): RunResult {
    return this.system.run();
  }

  private continueSlice(): Outcome {
    const cpu = this.target.cpu;
    // Breakpoints that do not stop (conditions, logpoints) must not stretch the slice: it ends at a fixed tick.
    const sliceEnd = cpu.ticks + SLICE_TICKS;
    for (let guard = 0; guard < 10_000; guard++) {
      cpu.runUntilTick = this.divergenceCap(Math.max(sliceEnd, cpu.ticks + 1));
      cpu.requestService();
      const retiredBefore = this.target.retired(0);
      const result = this.run();
      if (this.checkDivergence(retiredBefore)) return 'stopped';
      const outcome = this.afterRun(result);
      if (outcome === 'skip') continue;
      if (outcome === 'slice') { this.maybeSnapshot(); return 'running'; }
      return outcome;
    }
    this.maybeSnapshot();
    return 'running';
  }

  private stepSlice(g: number, startRetired: number): Outcome {
    const cpu = this.target.cpu;
    for (let guard = 0; guard < 100_000; guard++) {
      const isOurs = this.target.currentGuest() === g;
      cpu.runUntilTick = this.divergenceCap(cpu.ticks + (isOurs && !cpu.isHalted ? 1 : SLICE_TICKS));
      cpu.requestService();
      const retiredBefore = this.target.retired(0);
      const result = this.run();
      if (this.checkDivergence(retiredBefore)) return 'stopped';
      if (result.reason === 'budget' && this.stepWatch?.isDelivered === false && this.target.currentGuest() === g && this.target.retired(g) > startRetired) {
        this.stop({ reason: 'step', guest: g, description: 'step' });
        return 'stopped';
      }
      const outcome = this.afterRun(result);
      if (outcome === 'skip') continue;
      if (outcome === 'slice') {
        if (guard % 1000 === 999) return 'running';
        continue;
      }
      return outcome;
    }
    return 'running';
  }

  /** What a run result means: a stop to report, a breakpoint to skip, or the end of a slice. */
  private afterRun(result: RunResult): Outcome | 'skip' | 'slice' {
    const cpu = this.target.cpu;
    const g = this.target.currentGuest();
    switch (result.reason) {
      case 'breakpoint': {
        const pc = cpu.pc >>> 0;
        const temp = this.tempBreak;
        if (temp && temp.guest === g && temp.address === pc && (this.target.regs(g)[15] >>> 0) >= temp.sp) {
          this.stop({ reason: 'step', guest: g, description: 'step over the call' });
          return 'stopped';
        }
        const hits = this.checkBreakpoints(g, pc, { isCounting: true });
        if (hits.length === 0) { cpu.skipBreakpointAt = cpu.pc; return 'skip'; }
        const isInstruction = hits.every((h) => h.kind === 'instruction');
        this.stop({ reason: isInstruction ? 'instruction breakpoint' : 'breakpoint', guest: g, description: `breakpoint at ${hex8(pc)}`, hitBreakpointIds: hits.map((h) => h.id) });
        return 'stopped';
      }
      case 'requested': {
        const hv = this.target.hv;
        if (this.pendingStop) {
          const stop = this.pendingStop;
          this.pendingStop = undefined;
          if (this.stepWatch?.isDelivered && stop.reason !== 'exception') { this.stop({ reason: 'step', guest: g, description: 'step into the exception handler' }); return 'stopped'; }
          this.stop(stop);
          return 'stopped';
        }
        if (hv?.pendingTrap && this.trapStop) {
          const { event, filterId } = this.trapStop;
          this.trapStop = undefined;
          this.lastTrapEvent = event;
          if (filterId) {
            this.stop({ reason: 'exception', guest: event.guest, description: event.description, exceptionId: filterId, highlightVa: event.address });
            return 'stopped';
          }
          this.enterHypervisor(event.guest, event);
          return 'stopped';
        }
        if (this.stepWatch?.isDelivered) {
          this.stop({ reason: 'step', guest: this.stepWatch.guest, description: 'step into the exception handler' });
          return 'stopped';
        }
        return 'skip';
      }
      case 'budget':
        return 'slice';
      case 'waiting-for-input':
        return 'waiting';
      default:
        if (isGuestStop(result.reason)) return this.guestEnded(result);
        return 'skip';
    }
  }

  private guestEnded(result: RunResult): Outcome {
    const exitCode = EXIT_CODES[result.reason] ?? 1;
    if (result.reason === 'halted') {
      this.flushOutput();
      this.exit(0, result.detail);
      return 'exited';
    }
    // The state stays inspectable; the next continue ends the session.
    this.fatal = { reason: result.reason, detail: result.detail, exitCode };
    const g = this.target.currentGuest();
    this.stop({ reason: 'exception', guest: g, exceptionId: result.reason, description: result.detail });
    return 'stopped';
  }

  private exit(exitCode: number, description: string): void {
    if (this.hasExited) return;
    this.hasExited = true;
    this.isRunning = false;
    this.emit({ kind: 'output', category: 'console', text: `hyperstep: ${description} (exit code ${exitCode})\n` });
    this.emit({ kind: 'exited', exitCode, description });
  }

  private stop(stop: StopInfo): void {
    this.flushOutput();
    this.lastStop = stop;
    this.focusGuest = stop.guest;
    this.aliasCache.clear();
    this.emit({ kind: 'stopped', stop });
  }

  /** Handles the held-back trap with tracing on and shows the hypervisor frame at its first line. */
  private enterHypervisor(g: number, event: HypervisorEvent | undefined): void {
    const hv = this.target.hv!;
    const cpu = this.target.cpu;
    const trap = hv.pendingTrap;
    const trapPc = cpu.pc >>> 0;
    const position = this.position();
    const before: SavedState = { state: this.system.saveState(), runtime: this.bookkeeping() };
    this.suppressFilters = true;
    hv.isTracing = true;
    hv.trace = [];
    const savedWatch = this.stepWatch;
    this.stepWatch = undefined;
    cpu.stopRequest = 'requested';
    cpu.requestService();
    cpu.runUntilTick = cpu.ticks + SLICE_TICKS;
    const result = this.run();
    hv.isTracing = false;
    this.suppressFilters = false;
    this.stepWatch = savedWatch;
    this.pendingStop = undefined;
    const trace = hv.trace.length > 0 ? [...hv.trace] : ['entry' as PseudocodeLine];
    this.hypervisorFrame = {
      guest: g, trace, index: 0, trapPc, position,
      description: event?.description ?? `trap ${trap?.vector ?? '?'}`,
      vector: trap?.vector, errorCode: trap?.errorCode, address: trap?.faultAddress,
    };
    const firstEffect = trace.findIndex((line) => !PRE_EFFECT_LINES.has(line));
    this.hvFrameStates = {
      before, after: { state: this.system.saveState(), runtime: this.bookkeeping() },
      firstEffect: firstEffect < 0 ? trace.length : firstEffect, shown: 'after',
    };
    this.showHypervisorState();
    if (isGuestStop(result.reason) && result.reason !== 'halted') this.fatal = { reason: result.reason, detail: result.detail, exitCode: EXIT_CODES[result.reason] ?? 1 };
    this.stop({ reason: 'step', guest: g, description: `hypervisor: ${this.hypervisorFrame.description}` });
  }

  /** Loads the state the hypervisor frame's current line shows (before or after handling); after handling once the frame is gone. */
  private showHypervisorState(): void {
    const states = this.hvFrameStates;
    if (!states) return;
    const frame = this.hypervisorFrame;
    const want = frame && states.before && frame.index < states.firstEffect ? 'before' : 'after';
    if (!frame) this.hvFrameStates = undefined;
    if (want === states.shown) return;
    const saved = want === 'before' ? states.before! : states.after;
    this.system.loadState(saved.state);
    this.eventCount = saved.runtime.eventCount;
    this.handlerStacks = saved.runtime.handlerStacks.map((s) => s.map((e) => ({ ...e })));
    this.shadowDropsSeen = saved.runtime.shadowDrops;
    if (this.target.hv && want === 'after') this.target.hv.pendingTrap = undefined;
    this.target.cpu.stopRequest = undefined;
    this.aliasCache.clear();
    states.shown = want;
  }

  /** Leaves the hypervisor frame with the state after handling in place. */
  private leaveHypervisorFrame(): void {
    this.hypervisorFrame = undefined;
    this.showHypervisorState();
  }

  // ------------------------------------------------------------ single stepping (step out, data breakpoints)

  /** One guest instruction of guest g (or one delivery into its handler). Returns a stop outcome, or undefined when done. */
  private stepOnce(g: number): { outcome?: Outcome; isDelivered: boolean } {
    const cpu = this.target.cpu;
    const startRetired = this.target.retired(g);
    this.stepWatch = { guest: g, isDelivered: false };
    this.pendingStop = undefined;
    cpu.skipBreakpointAt = cpu.pc;
    for (let guard = 0; guard < 100_000; guard++) {
      const isOurs = this.target.currentGuest() === g;
      cpu.runUntilTick = this.divergenceCap(cpu.ticks + (isOurs && !cpu.isHalted ? 1 : SLICE_TICKS));
      cpu.requestService();
      const retiredBefore = this.target.retired(0);
      const result = this.run();
      const isDelivered = this.stepWatch.isDelivered;
      if (this.checkDivergence(retiredBefore)) return { outcome: 'stopped', isDelivered };
      if (result.reason === 'requested' && this.pendingStop) {
        const stop = this.pendingStop;
        this.pendingStop = undefined;
        this.stop(stop);
        return { outcome: 'stopped', isDelivered };
      }
      if (result.reason === 'requested' && this.target.hv?.pendingTrap && this.trapStop) {
        const { event, filterId } = this.trapStop;
        this.trapStop = undefined;
        this.lastTrapEvent = event;
        this.stop({ reason: 'exception', guest: event.guest, description: event.description, exceptionId: filterId, highlightVa: event.address });
        return { outcome: 'stopped', isDelivered };
      }
      if (isDelivered) return { isDelivered };
      if (result.reason === 'budget' && this.target.currentGuest() === g && this.target.retired(g) > startRetired) return { isDelivered };
      if (result.reason === 'waiting-for-input') return { outcome: 'waiting', isDelivered };
      if (isGuestStop(result.reason)) return { outcome: this.guestEnded(result), isDelivered };
    }
    return { isDelivered: false };
  }

  /** Memory accesses an instruction is about to make, for data breakpoints. */
  private accessesOf(g: number): Array<{ address: number; size: number; isWrite: boolean }> {
    const pc = this.target.pc(g);
    const instr = this.target.peek(g, pc);
    if (!instr) return [];
    const regs = this.target.regs(g);
    const sp = regs[15] >>> 0;
    const op = instr.info.op;
    const memAddress = instr.info.mem === 'reg' ? regs[instr.b] >>> 0 : instr.info.mem === 'disp' ? (regs[instr.b] + instr.imm) >>> 0 : instr.imm >>> 0;
    switch (op) {
      case Op.LD_R: case Op.LD_RD: case Op.LD_A: return [{ address: memAddress, size: 4, isWrite: false }];
      case Op.LDB_R: case Op.LDB_RD: case Op.LDB_A: return [{ address: memAddress, size: 1, isWrite: false }];
      case Op.ST_R: case Op.ST_RD: case Op.ST_A: return [{ address: memAddress, size: 4, isWrite: true }];
      case Op.STB_R: case Op.STB_RD: case Op.STB_A: return [{ address: memAddress, size: 1, isWrite: true }];
      case Op.PUSH_R: case Op.PUSH_I: case Op.PUSHF: case Op.CALL_I: case Op.CALL_R: return [{ address: (sp - 4) >>> 0, size: 4, isWrite: true }];
      case Op.POP: case Op.POPF: case Op.RET: return [{ address: sp, size: 4, isWrite: false }];
      case Op.IRET: return [{ address: sp, size: 16, isWrite: false }];
      default: return [];
    }
  }

  private singleStepDriver(mode: { kind: 'out'; guest: number } | { kind: 'data' }): () => Outcome {
    this.setupResume();
    // Breakpoints are checked here, after each step, not by the CPU.
    this.target.cpu.setBreakpoints([]);
    let depth = 0;
    let nested = 0;
    let isFirst = true;
    return () => {
      for (let i = 0; i < STEPS_PER_SLICE; i++) {
        const g = mode.kind === 'out' ? mode.guest : this.target.currentGuest();
        const pc = this.target.pc(g);
        if (!isFirst) {
          const hits = this.checkBreakpoints(g, pc, { isCounting: true });
          if (hits.length > 0) {
            this.stop({ reason: 'breakpoint', guest: g, description: `breakpoint at ${hex8(pc)}`, hitBreakpointIds: hits.map((h) => h.id) });
            return 'stopped';
          }
        }
        isFirst = false;
        const op = this.target.peek(g, pc)?.info.op;
        const accesses = this.breakpoints.data.length > 0 ? this.accessesOf(g) : [];
        const retiredBefore = this.target.retired(g);
        const step = this.stepOnce(g);
        if (step.outcome) return step.outcome;
        const didRetire = this.target.retired(g) > retiredBefore;
        if (didRetire && !step.isDelivered) {
          for (const access of accesses) {
            const hits = this.breakpoints.dataHits(access.address, access.size, access.isWrite).filter((record) => {
              if (record.condition) {
                try { if (evaluateExpression(record.condition, this.evalContext(g)) === 0) return false; } catch { return false; }
              }
              record.hits++;
              return !record.hitCondition || record.hitCondition(record.hits);
            });
            if (hits.length > 0) {
              const value = this.target.readWord('gva', g, access.address, access.size === 1 ? 1 : 4);
              this.stop({
                reason: 'data breakpoint', guest: g, hitBreakpointIds: hits.map((h) => h.id), highlightVa: access.address,
                description: `${access.isWrite ? 'write to' : 'read of'} ${hex8(access.address)} by the instruction at ${hex8(pc)}${value !== undefined ? `; value now ${formatValue(value)}` : ''}`,
              });
              return 'stopped';
            }
          }
        }
        if (mode.kind === 'out') {
          if (step.isDelivered) { nested++; continue; }
          if (nested > 0) { if (op === Op.IRET && didRetire) nested--; continue; }
          if (!didRetire) continue;
          if (op === Op.CALL_I || op === Op.CALL_R) depth++;
          else if (op === Op.RET) {
            if (depth === 0) { this.stop({ reason: 'step', guest: g, description: 'step out: the function returned' }); return 'stopped'; }
            depth--;
          } else if (op === Op.IRET && depth === 0) {
            this.stop({ reason: 'step', guest: g, description: 'step out: the exception handler returned' });
            return 'stopped';
          }
        }
      }
      return 'running';
    };
  }

  // ------------------------------------------------------------ history: step back, reverse continue

  private maybeSnapshot(): void {
    const system = this.system as VirtualSystem & { saveState?: () => unknown };
    const position = this.position();
    if (typeof system.saveState !== 'function' || !this.history.isDue(position) || this.target.hv?.pendingTrap) return;
    const state = system.saveState();
    this.history.add({ position, state, runtime: this.bookkeeping(), nInterventions: this.history.interventions.length, bytes: estimateBytes(state) });
  }

  /** Bytes the step-back history holds now. */
  historyBytes(): number {
    return this.history.bytes();
  }

  get snapshotCount(): number {
    return this.history.count;
  }

  /** Puts the system at the first instruction boundary at or after `position`, replaying from a snapshot. */
  private goTo(position: number): void {
    const snapshot = this.history.nearest(position);
    this.restore(snapshot);
    this.isReplaying = true;
    try {
      for (const intervention of this.history.interventions.slice(snapshot.nInterventions)) {
        if (intervention.position > position) break;
        this.runTo(intervention.position);
        intervention.apply();
      }
      this.runTo(position);
    } finally {
      this.isReplaying = false;
    }
    this.hypervisorFrame = undefined;
    this.hvFrameStates = undefined;
    this.fatal = undefined;
    this.aliasCache.clear();
  }

  private restore(snapshot: Snapshot<RuntimeBookkeeping>): void {
    const system = this.system as VirtualSystem & { loadState?: (state: unknown) => void };
    if (snapshot.state !== undefined && typeof system.loadState === 'function') {
      system.loadState(snapshot.state);
      this.eventCount = snapshot.runtime.eventCount;
      this.handlerStacks = snapshot.runtime.handlerStacks.map((s) => s.map((e) => ({ ...e })));
      this.shadowDropsSeen = snapshot.runtime.shadowDrops;
    } else {
      this.install(this.makeSystem());
    }
    if (this.target.hv) { this.target.hv.pendingTrap = undefined; this.target.hv.shouldStopAtTrap = undefined; }
    this.target.cpu.setBreakpoints([]);
    this.target.cpu.stopRequest = undefined;
    this.timeline = this.timeline.filter((t) => t.position <= snapshot.position);
  }

  /** Runs (quietly) to the first boundary at or after `position`. */
  private runTo(position: number): void {
    const cpu = this.target.cpu;
    this.replayTarget = position;
    try {
      for (let guard = 0; guard < 1_000_000; guard++) {
        const before = this.position();
        if (before >= position) return;
        cpu.runUntilTick = cpu.ticks + (position - before);
        cpu.requestService();
        const result = this.run();
        if (result.reason === 'breakpoint') { cpu.skipBreakpointAt = cpu.pc; continue; }
        if (isGuestStop(result.reason) || result.reason === 'waiting-for-input') return;
        if (this.position() === before && result.reason !== 'requested') return;
      }
    } finally {
      this.replayTarget = undefined;
    }
  }

  /** A summary of the thread's state that tells a meaningful step (pc or retired count moved). */
  private stateKey(g: number): string {
    return `${this.target.pc(g)}:${this.target.retired(g)}:${this.target.isUser(g)}`;
  }

  /** The last boundary before `position` at which guest g's pc or retired count differs from now. */
  private previousBoundary(g: number, position: number): number {
    const currentKey = this.stateKey(g);
    for (let back = 64; ; back *= 8) {
      const start = Math.max(0, position - back);
      this.goTo(start);
      let best: number | undefined;
      this.isReplaying = true;
      try {
        for (let guard = 0; guard < 10 * back + 100; guard++) {
          const here = this.position();
          if (here >= position) break;
          if (this.stateKey(g) !== currentKey || here === 0) best = here;
          this.runTo(here + 1);
          if (this.position() === here) break;
        }
      } finally {
        this.isReplaying = false;
      }
      if (best !== undefined || start === 0) return best ?? 0;
    }
  }

  stepBack(guest: number): void {
    if (this.isRunning) return;
    this.focusGuest = guest;
    const frame = this.hypervisorFrame;
    if (frame) {
      if (frame.index > 0) {
        frame.index--;
        this.showHypervisorState();
        this.stop({ reason: 'step', guest: frame.guest, description: `hypervisor: ${frame.trace[frame.index]}` });
        return;
      }
      this.leaveHypervisorFrame();
      this.goTo(Math.max(0, frame.position - 1));
      this.stop({ reason: 'step', guest: frame.guest, description: 'stepped back out of the hypervisor, before the trap' });
      return;
    }
    const position = this.position();
    if (position === 0) { this.stop({ reason: 'step', guest, description: 'at the start of the run: nothing to step back to' }); return; }
    const target = this.previousBoundary(guest, position);
    this.goTo(target);
    this.stop({ reason: 'step', guest, description: `stepped back to run position ${target}` });
  }

  reverseContinue(guest: number): void {
    if (this.isRunning) return;
    this.focusGuest = guest;
    this.leaveHypervisorFrame();
    const end = this.position();
    let found: { position: number; ids: number[]; guest: number } | undefined;
    for (const snapshot of this.history.startsBefore(end)) {
      this.goTo(snapshot.position);
      this.isReplaying = true;
      const cpu = this.target.cpu;
      const addresses: number[] = this.breakpoints.instructions.map((r) => r.address!);
      for (let g = 0; g < this.guests.length; g++) addresses.push(...virtualAliases(this.target, g, this.breakpoints.physicalAddresses(g)));
      try {
        this.replayTarget = end;
        for (let guard = 0; guard < 1_000_000; guard++) {
          const here = this.position();
          if (here >= end) break;
          if (this.breakpoints.hasCodeBreakpoints) cpu.setBreakpoints(addresses);
          cpu.runUntilTick = cpu.ticks + (end - here);
          cpu.requestService();
          const result = this.run();
          if (result.reason === 'breakpoint') {
            const g = this.target.currentGuest();
            const hits = this.checkBreakpoints(g, cpu.pc >>> 0, { isCounting: false });
            if (hits.length > 0 && this.position() < end) found = { position: this.position(), ids: hits.map((h) => h.id), guest: g };
            cpu.skipBreakpointAt = cpu.pc;
            continue;
          }
          if (result.reason !== 'requested' && this.position() === here) break;
          if (isGuestStop(result.reason) || result.reason === 'waiting-for-input') break;
        }
      } finally {
        this.replayTarget = undefined;
        this.isReplaying = false;
        cpu.setBreakpoints([]);
      }
      if (found) break;
    }
    if (found) {
      this.goTo(found.position);
      this.stop({ reason: 'breakpoint', guest: found.guest, description: `reverse continue: breakpoint at ${hex8(this.target.pc(found.guest))}`, hitBreakpointIds: found.ids });
    } else {
      this.goTo(0);
      this.stop({ reason: 'entry', guest, description: 'reverse continue reached the start of the run' });
    }
  }

  // ------------------------------------------------------------ interventions: input, registers, memory

  /** Keyboard input typed by the user; recorded with its position so a replay types it again. */
  typeInput(guest: number, bytes: Uint8Array): void {
    const g = Math.min(Math.max(0, guest), this.guests.length - 1);
    const copy = Uint8Array.from(bytes);
    const input = this.guests.length === 1 ? { tick: this.target.ticks(0), bytes: copy } : undefined;
    this.intervene(`input ${JSON.stringify(Buffer.from(copy).toString('latin1'))}`, () => this.system.typeInput(g, copy), input);
    if (this.isWaitingForInput) {
      this.isWaitingForInput = false;
      this.resume({ kind: 'continue' });
    }
  }

  setRegister(guest: number, name: string, value: number): void {
    const lower = name.toLowerCase();
    this.intervene(`${name} = ${hex8(value)}`, () => this.applyRegister(guest, lower, value >>> 0));
  }

  private applyRegister(g: number, name: string, value: number): void {
    const flagBits: Record<string, number> = { cf: 1, zf: 2, sf: 4, of: 8, if: 0x200 };
    if (name === 'pc') this.target.setPc(g, value);
    else if (name === 'flags') this.target.setFlags(g, value);
    else if (name in flagBits) {
      const flags = this.target.flags(g);
      this.target.setFlags(g, value ? flags | flagBits[name] : flags & ~flagBits[name]);
    } else {
      const index = name === 'sp' ? 15 : /^r(\d+)$/.test(name) ? Number(name.slice(1)) : -1;
      if (index < 0 || index > 15) throw new EvalError(`'${name}' is not a register that can be set`);
      this.target.regs(g)[index] = value | 0;
    }
  }

  writeMemory(space: 'gva' | 'gpa' | 'ma', guest: number, address: number, data: Uint8Array): number {
    const copy = Uint8Array.from(data);
    let written = 0;
    this.intervene(`write ${copy.length} bytes at ${space}:${hex8(address)}`, () => { written = this.target.writeBytes(space, guest, address, copy); });
    this.aliasCache.clear();
    return written;
  }

  private intervene(description: string, apply: () => void, input?: TimedInput): void {
    // In the hypervisor frame, edits apply to the state after handling, which every line then shows.
    if (this.hvFrameStates) { this.hvFrameStates.before = undefined; this.showHypervisorState(); }
    apply();
    this.history.record({ position: this.position(), description, apply, input });
  }

  // ------------------------------------------------------------ inspection

  evalContext(g: number): EvalContext {
    const target = this.target;
    return {
      register: (name) => {
        const flags = target.flags(g);
        switch (name) {
          case 'pc': return target.pc(g);
          case 'sp': return target.regs(g)[15] >>> 0;
          case 'flags': return flags;
          case 'cr3': return target.cr3(g);
          case 'evt': return target.evt(g);
          case 'ksp': return target.ksp(g);
          case 'cf': return flags & 1;
          case 'zf': return (flags >> 1) & 1;
          case 'sf': return (flags >> 2) & 1;
          case 'of': return (flags >> 3) & 1;
          case 'if': return (flags >> 9) & 1;
        }
        const match = /^r(\d+)$/.exec(name);
        if (match && Number(match[1]) <= 15) return target.regs(g)[Number(match[1])] >>> 0;
        return undefined;
      },
      read: (address, size) => target.readWord('gva', g, address, size),
      symbol: (name) => this.guests[g]?.assembled.symbols.find((s) => s.name === name || (s.displayName === name && s.kind !== 'local-label'))?.value,
    };
  }

  evaluate(g: number, expression: string): number {
    return evaluateExpression(expression, this.evalContext(g));
  }

  symbols(g: number): AsmSymbol[] {
    return this.guests[g]?.assembled.symbols ?? [];
  }

  /** The label at or before a guest-physical address, with the offset. */
  labelAt(g: number, gpa: number): { name: string; offset: number } | undefined {
    const labels = this.labels[g] ?? [];
    let low = 0;
    let high = labels.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (labels[mid].value <= gpa) low = mid + 1; else high = mid;
    }
    const label = labels[low - 1];
    return label ? { name: label.name, offset: gpa - label.value } : undefined;
  }

  /** Source line of a guest-virtual pc in guest g's address space (through `cr3` when given). */
  sourceOf(g: number, pc: number): { path: string; line: number; gpa: number } | undefined {
    const gpa = this.target.toPhysical(g, pc);
    if (gpa === undefined) return undefined;
    const location = this.lineMaps[g]?.lookup(gpa);
    return location ? { path: location.file, line: location.line, gpa } : undefined;
  }

  instructionText(g: number, pc: number): string {
    const instr = this.target.peek(g, pc);
    return instr ? formatInstr(instr) : '??';
  }

  /** Frames of guest g, innermost first. */
  frames(g: number): FrameInfo[] {
    const frames: FrameInfo[] = [];
    const hvFrame = this.hypervisorFrame;
    const isInHypervisor = hvFrame !== undefined && hvFrame.guest === g;
    if (isInHypervisor) {
      frames.push({ kind: 'hypervisor', name: `hypervisor trap(): ${hvFrame.description}`, pc: hvFrame.trapPc, hypervisorLine: hvFrame.trace[hvFrame.index] });
    }
    const pc = isInHypervisor ? hvFrame.trapPc : this.target.pc(g);
    frames.push(this.guestFrame(g, pc, 'guest'));
    for (const handler of this.activeHandlers(g)) {
      const frame = this.guestFrame(g, handler.savedPc, 'handler');
      const name = VECTOR_NAMES[handler.vector] ?? (handler.vector === 32 ? 'timer interrupt' : handler.vector === 33 ? 'keyboard interrupt' : `vector ${handler.vector}`);
      frame.name = `${frame.name} — interrupted by ${name}`;
      frame.handler = handler;
      frames.push(frame);
    }
    return frames;
  }

  private guestFrame(g: number, pc: number, kind: 'guest' | 'handler'): FrameInfo {
    const source = this.sourceOf(g, pc);
    const gpa = source?.gpa ?? this.target.toPhysical(g, pc);
    const label = gpa !== undefined ? this.labelAt(g, gpa) : undefined;
    const mode = kind === 'guest' ? (this.target.isUser(g) ? (this.target.hv ? ' [pretend user]' : ' [user]') : (this.target.hv ? ' [pretend kernel]' : ' [kernel]')) : '';
    const name = `${label ? `${label.name}${label.offset ? `+${label.offset}` : ''}` : hex8(pc)}${mode}`;
    return { kind, name, pc, source: source ? { path: source.path, line: source.line } : undefined };
  }

  /** The run's end in words, or undefined while it can still go on. */
  get fatalDescription(): string | undefined {
    return this.fatal?.detail;
  }

  /** Runs to the next stop or the end without yielding (for the bench and tests of cost). */
  runSynchronously(): SyncRunResult {
    let reason = 'running';
    const off = (event: RuntimeEvent): void => {
      if (event.kind === 'exited') reason = `exited ${event.exitCode}`;
      else if (event.kind === 'stopped') reason = `stopped: ${event.stop.description}`;
    };
    this.listeners.push(off);
    this.ensureDivergenceSearch();
    const driver = this.makeDriver({ kind: 'continue' });
    this.isRunning = true;
    let outcome: Outcome = 'running';
    while (outcome === 'running') outcome = driver();
    this.isRunning = false;
    this.clearRunState();
    this.listeners = this.listeners.filter((l) => l !== off);
    if (outcome === 'waiting') reason = 'waiting for input';
    let retired = 0;
    for (let g = 0; g < this.guestCount; g++) retired += this.target.retired(g);
    return { reason, retired, historyBytes: this.historyBytes(), snapshots: this.snapshotCount };
  }

  /** Called by the session on disconnect/terminate: stops running at once. */
  dispose(): void {
    this.isPauseRequested = true;
    this.hasExited = true;
  }
}

/**
 * For the bench (scripts/bench-debug.ts): runs `config`'s program to its end
 * under the debug runtime with `nBreakpoints` instruction breakpoints set at
 * addresses no guest executes, synchronously. Returns the run's stop reason,
 * the instructions retired and the history's memory.
 */
export function runToCompletionWithBreakpoints(config: LaunchConfig, reader: FileReader, nBreakpoints: number): SyncRunResult {
  const runtime = new DebugRuntime({ ...config, isStopOnEntry: true }, reader);
  // High addresses whose low 16 bits are rarely code addresses, so the CPU's filter seldom sends them to the slow check.
  runtime.setInstructionBreakpoints(Array.from({ length: nBreakpoints }, (_, i) => ({ address: (0xffe0f000 + 8 * i) >>> 0 })));
  return runtime.runSynchronously();
}
