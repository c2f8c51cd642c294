// The debug runtime: the facade over the simulator and the hypervisor that the
// session talks to. It builds the parts, once the first system exists, in
// layers, each given only what it uses (README, "The runtime's parts"):
//   state      the current system and run position, the replay mode, the run
//              state (pending stop, held trap, step watch), breakpoints and
//              their CPU aliases, history, timeline, frames, console output;
//   observers  filter matching, the divergence filter, the simulator's events:
//              they decide, and push typed stop requests to the run state;
//   control    run control (with single stepping), replay, the hypervisor
//              frame, interventions.
// It delegates the session's calls to them and wires the simulator's events
// to the observers. Methods in, typed RuntimeEvents out: it never imports DAP
// or VS Code, and counts source lines as the assembler does (1-based, like the
// line map), which the session translates.

import { ineffectiveSettingWarnings, LAUNCH_SETTING_NAMES } from '../hypervisor/settingWarnings';
import { AssembleResult, AsmSymbol, formatDiagnostic, LineMap, SourceRead } from '../asm';
import { formatInstr } from '../machine/format';
import { RunResult } from '../machine/machine';
import { ConfigError, createSystem, settingName, SystemOptions, validateSettings, VirtualSystem } from '../hypervisor/system';
import { DEFAULT_VIRTUALIZATION } from '../hypervisor/settings';
import { COST_PROFILES } from '../hypervisor/costs';
import { LoadedGuest, loadProgram } from '../loader/program';
import { BreakpointRecord, Breakpoints, BreakpointSpec } from './breakpoints';
import { CpuBreakpoints } from './cpuBreakpoints';
import { describeStaleRead, readAsCpu, StaleRead } from './cpuView';
import { CurrentSystem } from './currentSystem';
import { DivergenceFilter } from './divergenceFilter';
import { EvalContext, evaluateExpression } from './evaluate';
import { FilterMatching } from './filterMatching';
import { FrameInfo, FrameModel, HandlerEntry } from './frames';
import { GuestOutput } from './guestOutput';
import { History } from './history';
import { HypervisorFrame, HypervisorFrameView } from './hypervisorFrame';
import { Interventions } from './interventions';
import { LaunchConfig } from './launchConfig';
import { Replay } from './replay';
import { ReplayMode } from './replayMode';
import { Request, RunControl } from './runControl';
import { RunState } from './runState';
import { SimulatorEvents } from './simulatorEvents';
import { Target } from './target';
import { Timeline, TimelineRecord } from './timeline';

// Re-exported so the runtime's users keep one import for its types.
export { EXIT_CODES, SLICE_TICKS } from './runControl';
export type { FrameInfo, HandlerEntry } from './frames';
export type { HypervisorFrame } from './hypervisorFrame';
export type { TimelineRecord } from './timeline';

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
  { kind: 'stopped'; stop: StopInfo } | { kind: 'output'; category: 'stdout' | 'console' | 'stderr'; text: string } | { kind: 'exited'; exitCode: number; description: string };

/** How the adapter reads sources: the guarded reader of loader/sourceFile.ts, or the editor's view of it. */
export interface FileReader {
  readSourceFile(path: string): SourceRead;
}

/** The runtime's own state a snapshot keeps beside the system's: what position and frames are computed from. */
export interface RuntimeBookkeeping {
  eventCount: number;
  handlerStacks: HandlerEntry[][];
  shadowDrops: number;
}

export interface SyncRunResult {
  reason: string;
  retired: number;
  historyBytes: number;
  snapshots: number;
}

export class DebugRuntime {
  private listeners: Array<(event: RuntimeEvent) => void> = [];
  readonly guests: LoadedGuest[];
  readonly lineMaps: LineMap[];
  readonly systemOptions: SystemOptions;

  /** The settings this run uses, for running the same program under others (costs panel). */
  systemOptionsForComparison(): SystemOptions {
    return { ...this.systemOptions, guests: this.guests };
  }
  readonly breakpoints: Breakpoints;
  readonly history: History<RuntimeBookkeeping>;

  // State: each piece has one owner that changes it through its methods.
  private readonly current: CurrentSystem;
  private readonly output: GuestOutput;
  private readonly timeline: Timeline;
  private readonly frameModel: FrameModel;
  private readonly cpuBreakpoints: CpuBreakpoints;
  // Observers of the simulator's events: they decide, and push stop requests to the run state.
  private readonly exceptionFilters: FilterMatching;
  private readonly divergence: DivergenceFilter;
  private readonly simulatorEvents: SimulatorEvents;
  // Control: what runs the system.
  private readonly hvFrame: HypervisorFrameView;
  private readonly replay: Replay;
  private readonly control: RunControl;
  private readonly interventions: Interventions;

  lastStop: StopInfo | undefined;
  /** The thread the user last stepped or stopped in. */
  focusGuest = 0;

  constructor(
    readonly config: LaunchConfig,
    reader: FileReader,
  ) {
    const load = loadProgram(config.program, { readSourceFile: reader.readSourceFile, memory: config.memory, inputs: config.inputs });
    if (load.failed.length > 0) {
      const messages = load.failed.flatMap((g) => g.assembled.diagnostics.filter((d) => d.severity === 'error').map((d) => formatDiagnostic(d)));
      throw new ConfigError(`${config.program} does not assemble:\n${messages.slice(0, 10).join('\n')}${messages.length > 10 ? `\n(${messages.length - 10} more)` : ''}`);
    }
    this.guests = load.guests.map((g) => ({ ...g, memory: g.memory ?? config.memory }));
    const description = load.description;
    this.systemOptions = {
      virtualization: config.virtualization ?? description?.virtualization ?? DEFAULT_VIRTUALIZATION,
      paging: config.paging ?? description?.paging,
      kernelShadows: config.kernelShadows ?? description?.kernelShadows,
      tlbEntries: config.tlbEntries ?? description?.tlbEntries,
      costModel: config.costModel ? COST_PROFILES[config.costModel] : undefined,
      maxInstructions: config.maxInstructions,
      translationThreshold: config.translationThreshold,
      isInteractive: true,
      guests: this.guests,
    };
    validateSettings(this.systemOptions);
    if (this.systemOptions.virtualization === 'none' && this.guests.length > 1) {
      throw new ConfigError(`${config.program} describes ${this.guests.length} guests; bare hardware (virtualization 'none') runs one: set "virtualization": "trap-and-emulate"`);
    }
    this.lineMaps = this.guests.map((g) => g.assembled.lineMap);
    const labels = this.guests.map((g) => g.assembled.symbols.filter((s) => s.kind !== 'equ').sort((a, b) => a.value - b.value));
    this.breakpoints = new Breakpoints(this.lineMaps);
    this.history = new History(config.historySize, config.snapshotInterval);

    const emit = (event: RuntimeEvent): void => this.emit(event);
    const stop = (info: StopInfo): void => this.stop(info);
    const runSystem = (): RunResult => this.run();
    const evalContext = (g: number): EvalContext => this.evalContext(g);
    const instructionText = (g: number, pc: number): string => this.instructionText(g, pc);
    const bookkeeping = (): RuntimeBookkeeping => this.bookkeeping();
    const loadBookkeeping = (saved: RuntimeBookkeeping): void => this.loadBookkeeping(saved);

    // State.
    const current = (this.current = new CurrentSystem(this.makeSystem()));
    const replayMode = new ReplayMode(current);
    const runState = new RunState(current, replayMode);
    const output = (this.output = new GuestOutput(
      this.guests.map((g) => g.name),
      emit,
    ));
    const timeline = (this.timeline = new Timeline(current));
    const frameModel = (this.frameModel = new FrameModel(current, replayMode, this.lineMaps, labels));
    const cpuBreakpoints = (this.cpuBreakpoints = new CpuBreakpoints({
      run: current,
      breakpoints: this.breakpoints,
      replay: replayMode,
      runState,
      evalContext,
      emit,
      flushOutput: () => output.flush(),
    }));
    // Observers.
    const filters = (this.exceptionFilters = new FilterMatching({
      run: current,
      replay: replayMode,
      stops: runState,
      instructionText,
      divergenceUnavailable: DivergenceFilter.unavailableReason(this.systemOptions),
    }));
    const divergence = (this.divergence = new DivergenceFilter({
      run: current,
      systemOptions: this.systemOptions,
      maxInstructions: config.maxInstructions,
      typedInputs: () => this.history.interventions.flatMap((i) => (i.input ? [i.input] : [])),
      filters,
      replay: replayMode,
      timeline,
      emit,
    }));
    this.simulatorEvents = new SimulatorEvents({
      run: current,
      replay: replayMode,
      stops: runState,
      filters,
      timeline,
      frameModel,
      cpuBreakpoints,
      breakpoints: this.breakpoints,
      instructionText,
      guests: this.guests,
      emit,
    });
    // Control.
    const hvFrame = (this.hvFrame = new HypervisorFrameView({
      run: current,
      state: runState,
      filters,
      cpuBreakpoints,
      bookkeeping,
      loadBookkeeping,
      runSystem,
      stop,
    }));
    const replay = (this.replay = new Replay({
      run: current,
      mode: replayMode,
      history: this.history,
      state: runState,
      filters,
      hvFrame,
      cpuBreakpoints,
      simulatorEvents: this.simulatorEvents,
      timeline,
      bookkeeping,
      loadBookkeeping,
      reinstall: () => this.install(this.makeSystem()),
      runSystem,
      stop,
    }));
    this.control = new RunControl({
      run: current,
      state: runState,
      replay: replayMode,
      filters,
      divergence,
      breakpoints: this.breakpoints,
      cpuBreakpoints,
      hvFrame,
      maybeSnapshot: () => replay.maybeSnapshot(),
      lineMap: this.lineMaps[0],
      isStopOnEntry: config.isStopOnEntry === true,
      evalContext,
      runSystem,
      stop,
      emit,
      flushOutput: () => output.flush(),
      onResume: (request: Request) => {
        this.lastStop = undefined;
        if (request.kind !== 'continue') this.focusGuest = request.guest;
      },
    });
    this.interventions = new Interventions({ run: current, history: this.history, hvFrame, cpuBreakpoints });

    this.wire();
    this.history.reset({ position: 0, state: undefined, runtime: this.bookkeeping(), nInterventions: 0, bytes: 0 });
  }

  // ------------------------------------------------------------ events out

  on(listener: (event: RuntimeEvent) => void): void {
    this.listeners.push(listener);
  }

  off(listener: (event: RuntimeEvent) => void): void {
    this.listeners = this.listeners.filter((l) => l !== listener);
  }

  emit(event: RuntimeEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  /** Reports a stop: pending console output first, then the stopped event. */
  stop(stop: StopInfo): void {
    this.output.flush();
    this.lastStop = stop;
    this.focusGuest = stop.guest;
    this.cpuBreakpoints.clearAliases();
    this.emit({ kind: 'stopped', stop });
  }

  get target(): Target {
    return this.current.target;
  }
  get system(): VirtualSystem {
    return this.current.system;
  }
  get setting(): string {
    return this.system.settingName;
  }
  get guestCount(): number {
    return this.guests.length;
  }
  get isStopped(): boolean {
    return !this.control.isRunning && !this.control.hasExited && !this.control.isWaitingForInput;
  }
  get exited(): boolean {
    return this.control.hasExited;
  }
  get assembled(): AssembleResult[] {
    return this.guests.map((g) => g.assembled);
  }
  get hypervisorFrame(): HypervisorFrame | undefined {
    return this.hvFrame.frame;
  }

  banner(): string {
    const names = this.guests.map((g) => g.name).join(', ');
    const warnings = ineffectiveSettingWarnings(this.systemOptions, LAUNCH_SETTING_NAMES)
      .map((w) => `warning: ${w}\n`)
      .join('');
    return `hyperstep: ${this.config.program} (${this.guests.length === 1 ? `guest ${names}` : `${this.guests.length} guests: ${names}`}) under ${settingName(this.systemOptions)}\n${warnings}`;
  }

  // ------------------------------------------------------------ the system

  private makeSystem(): VirtualSystem {
    return createSystem(this.systemOptions);
  }

  /** Puts a new system in place of the current one (a replay from the start of the run). */
  private install(system: VirtualSystem): void {
    this.current.replace(system);
    this.wire();
  }

  /** Attaches the parts to the current system: every subscription in one place. */
  private wire(): void {
    const system = this.system;
    system.events.on((event) => this.simulatorEvents.onMachineEvent(event));
    system.hvEvents?.on((event) => this.simulatorEvents.onHypervisorEvent(event));
    for (let g = 0; g < system.guestCount; g++) {
      const guestConsole = this.target.console(g);
      guestConsole.onByte = (byte) => this.output.onByte(g, byte, guestConsole.length);
    }
    const hv = this.target.hv;
    if (hv) {
      hv.shouldStopAtTrap = undefined;
      // After a guest switch a step or a replay re-aims the tick budget, which
      // counts the ticks of whichever guest is current.
      hv.onGuestSwitch = () => this.control.onGuestSwitch();
    }
    this.frameModel.reset(this.guests.length);
    this.simulatorEvents.reset();
    this.cpuBreakpoints.clearAliases();
  }

  private run(): RunResult {
    this.simulatorEvents.beforeRun();
    return this.system.run();
  }

  private bookkeeping(): RuntimeBookkeeping {
    return { eventCount: this.current.eventCount, handlerStacks: this.frameModel.save(), shadowDrops: this.simulatorEvents.shadowDropsSeen };
  }

  /** Puts back the bookkeeping of a saved state (the system's own state is loaded by the caller). */
  private loadBookkeeping(saved: RuntimeBookkeeping): void {
    this.current.loadEventCount(saved.eventCount);
    this.frameModel.load(saved.handlerStacks);
    this.simulatorEvents.loadShadowDropsSeen(saved.shadowDrops);
  }

  /** Instruction boundaries passed so far: guest ticks plus exceptions raised and delivered. */
  position(): number {
    return this.current.position();
  }

  // ------------------------------------------------------------ timeline, filters, breakpoints

  timelineEntries(): TimelineRecord[] {
    return this.timeline.entries();
  }

  activeHandlers(g: number): HandlerEntry[] {
    return this.frameModel.activeHandlers(g);
  }

  setExceptionFilters(filters: Array<{ filterId: string; condition?: string }>): Array<{ isVerified: boolean; message?: string }> {
    const results = this.exceptionFilters.set(filters);
    // The search runs once, lazily: after this response, or at the next resume, whichever comes first.
    const divergence = this.divergence;
    if (this.exceptionFilters.has('divergence') && divergence.canDiverge && !divergence.isCurrent()) {
      setImmediate(() => {
        if (!this.control.hasExited && !this.control.isRunning) divergence.ensure();
      });
    }
    return results;
  }

  setSourceBreakpoints(file: string, specs: BreakpointSpec[]): BreakpointRecord[] {
    const records = this.breakpoints.setSource(file, specs);
    this.cpuBreakpoints.clearAliases();
    this.cpuBreakpoints.refresh();
    return records;
  }

  setInstructionBreakpoints(specs: BreakpointSpec[]): BreakpointRecord[] {
    const records = this.breakpoints.setInstructions(specs);
    this.cpuBreakpoints.refresh();
    return records;
  }

  setDataBreakpoints(specs: BreakpointSpec[]): BreakpointRecord[] {
    return this.breakpoints.setData(specs);
  }

  // ------------------------------------------------------------ run control, history, interventions

  start(): void {
    this.control.start();
  }
  continue(): void {
    this.control.resume({ kind: 'continue' });
  }
  next(guest: number): void {
    this.control.resume({ kind: 'step', guest, isStepIn: false, isOver: true });
  }
  stepIn(guest: number): void {
    this.control.resume({ kind: 'step', guest, isStepIn: true, isOver: false });
  }
  stepOut(guest: number): void {
    this.control.resume({ kind: 'stepOut', guest });
  }
  pause(): void {
    this.control.pause();
  }
  stepBack(guest: number): void {
    if (this.control.isRunning) return;
    this.focusGuest = guest;
    this.replay.stepBack(guest);
  }

  reverseContinue(guest: number): void {
    if (this.control.isRunning) return;
    this.focusGuest = guest;
    this.replay.reverseContinue(guest);
  }

  /** Bytes the step-back history holds now. */
  historyBytes(): number {
    return this.history.bytes();
  }

  get snapshotCount(): number {
    return this.history.count;
  }

  typeInput(guest: number, bytes: Uint8Array): void {
    this.simulatorEvents.keyboardTyped(guest);
    this.interventions.typeInput(guest, bytes);
    this.control.inputTyped();
  }
  setRegister(guest: number, name: string, value: number): void {
    this.interventions.setRegister(guest, name, value);
  }
  writeMemory(space: 'gva' | 'gpa' | 'ma', guest: number, address: number, data: Uint8Array): number {
    return this.interventions.writeMemory(space, guest, address, data);
  }

  // ------------------------------------------------------------ inspection

  evalContext(g: number): EvalContext {
    const target = this.target;
    return {
      register: (name) => {
        const flags = target.flags(g);
        switch (name) {
          case 'pc':
            return target.pc(g);
          case 'sp':
            return target.regs(g)[15] >>> 0;
          case 'flags':
            return flags;
          case 'cr3':
            return target.cr3(g);
          case 'evt':
            return target.evt(g);
          case 'ksp':
            return target.ksp(g);
          case 'cf':
            return flags & 1;
          case 'zf':
            return (flags >> 1) & 1;
          case 'sf':
            return (flags >> 2) & 1;
          case 'of':
            return (flags >> 3) & 1;
          case 'if':
            return (flags >> 9) & 1;
        }
        const match = /^r(\d+)$/.exec(name);
        if (match && Number(match[1]) <= 15) return target.regs(g)[Number(match[1])] >>> 0;
        return undefined;
      },
      // What the CPU would load (through the TLB and the shadow), which a stale entry makes differ from the guest table.
      read: (address, size) => readAsCpu(target, g, address, size, this.staleReads && ((read) => this.staleReads!.push(read))),
      symbol: (name) => this.guests[g]?.assembled.symbols.find((s) => s.name === name || (s.displayName === name && s.kind !== 'local-label'))?.value,
    };
  }

  evaluate(g: number, expression: string): number {
    return evaluateExpression(expression, this.evalContext(g));
  }

  /** Reads through stale TLB or shadow entries during an evaluation with notes. */
  private staleReads: StaleRead[] | undefined;

  /** Evaluates as `evaluate`, with a sentence for each memory read the CPU makes through a stale entry. */
  evaluateWithNotes(g: number, expression: string): { value: number; notes: string[] } {
    this.staleReads = [];
    try {
      const value = this.evaluate(g, expression);
      return { value, notes: this.staleReads.map((read) => describeStaleRead(read, !this.target.hv)) };
    } finally {
      this.staleReads = undefined;
    }
  }

  symbols(g: number): AsmSymbol[] {
    return this.guests[g]?.assembled.symbols ?? [];
  }

  labelAt(g: number, gpa: number): { name: string; offset: number } | undefined {
    return this.frameModel.labelAt(g, gpa);
  }

  sourceOf(g: number, pc: number): { path: string; line: number; gpa: number } | undefined {
    return this.frameModel.sourceOf(g, pc);
  }

  instructionText(g: number, pc: number): string {
    const instr = this.target.peek(g, pc);
    return instr ? formatInstr(instr) : '??';
  }

  /** Frames of guest g, innermost first. */
  frames(g: number): FrameInfo[] {
    return this.frameModel.frames(g, this.hvFrame.frame);
  }

  /** Runs to the next stop or the end without yielding (for the bench and tests of cost). */
  runSynchronously(): SyncRunResult {
    let reason = 'running';
    const listener = (event: RuntimeEvent): void => {
      if (event.kind === 'exited') reason = `exited ${event.exitCode}`;
      else if (event.kind === 'stopped') reason = `stopped: ${event.stop.description}`;
    };
    this.on(listener);
    const outcome = this.control.runToStop();
    this.off(listener);
    if (outcome === 'waiting') reason = 'waiting for input';
    let retired = 0;
    for (let g = 0; g < this.guestCount; g++) retired += this.target.retired(g);
    return { reason, retired, historyBytes: this.historyBytes(), snapshots: this.snapshotCount };
  }

  /** Called by the session on disconnect/terminate: stops running at once. */
  dispose(): void {
    this.control.dispose();
    this.listeners = [];
  }
}
