// The Debug Adapter Protocol session: one short method per DAP request that
// converts the arguments, calls the DebugRuntime and converts the result.
// It holds no simulator logic. Lines are the runtime's (1-based) converted to
// the client's numbering here; errors are caught at this edge and answered
// with sendErrorResponse. Used inline by the extension and on stdio by
// `hyperstep-dap` (main.ts), each passing its own file reader.

import * as fs from 'fs';
import * as path from 'path';
import {
  Breakpoint, DebugSession, ErrorDestination, ExitedEvent, InitializedEvent, OutputEvent, Source, StackFrame,
  StoppedEvent, TerminatedEvent, Thread,
} from '@vscode/debugadapter';
import { DebugProtocol } from '@vscode/debugprotocol';
import { PSEUDOCODE_TEXT, pseudocodeLineNumber } from '../hypervisor/pseudocode';
import { ConfigError } from '../hypervisor/system';
import { LoadError } from '../loader/program';
import { disassembleAt } from '../asm';
import { BreakpointRecord, BreakpointSpec, DataAccess } from './breakpoints';
import { COMMANDS, runConsoleCommand } from './commands';
import { CostComparisons } from './comparisons';
import { EvalError, formatValue, FLAG_NAMES, hex8, isRegisterExpression, REGISTER_NAMES } from './evaluate';
import { EXCEPTION_FILTERS } from './exceptionFilters';
import { parseLaunchConfig } from './launchConfig';
import { PanelState, walkView } from './panel';
import { DebugRuntime, FileReader, FrameInfo, RuntimeEvent } from './runtime';
import { memoryReference, parseMemoryReference, Variables } from './variables';

/** Stable error ids of this adapter's error responses. */
export const enum ErrorId { CONFIG = 2001, NOT_LAUNCHED = 2002, REQUEST = 2003, EVALUATE = 2004 }

export const PSEUDOCODE_SOURCE_REFERENCE = 1;
export const SNAPSHOT_REQUEST = 'hyperstep/snapshot';
export const WALK_REQUEST = 'hyperstep/walk';

export const nodeFileReader: FileReader = {
  readFile: (file) => { try { return fs.readFileSync(file, 'utf8'); } catch { return undefined; } },
};

class RequestError extends Error {}

export class HyperstepSession extends DebugSession {
  private runtime: DebugRuntime | undefined;
  private variables: Variables | undefined;
  private comparisons: CostComparisons | undefined;
  private panel = new PanelState();
  private frames = new Map<number, { g: number; frame: FrameInfo }>();
  private nextFrameId = 1;
  private isConfigured = false;
  private isLaunched = false;
  private launchArgs: Record<string, unknown> | undefined;
  /** Requests that arrive before launch are kept and applied to each runtime (launch and restart). */
  private sourceBreakpoints = new Map<string, BreakpointSpec[]>();
  private instructionBreakpoints: DebugProtocol.InstructionBreakpoint[] = [];
  private exceptionFilters: Array<{ filterId: string; condition?: string }> = [];

  constructor(private readonly reader: FileReader = nodeFileReader) {
    super();
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
  }

  // ------------------------------------------------------------ plumbing

  private get rt(): DebugRuntime {
    if (!this.runtime) throw new RequestError('no program is running: launch one first');
    return this.runtime;
  }

  /** Runs a request body, answering with an error response when it throws. */
  private guard<R extends DebugProtocol.Response>(response: R, body: () => void): void {
    try {
      body();
    } catch (e) {
      const isUserError = e instanceof ConfigError || e instanceof LoadError || e instanceof RequestError || e instanceof EvalError;
      const message = (e as Error).message ?? String(e);
      this.sendErrorResponse(response, { id: isUserError ? ErrorId.REQUEST : ErrorId.REQUEST + 1000, format: isUserError ? message : `hyperstep internal error: ${message}`, showUser: isUserError }, undefined, undefined, ErrorDestination.User);
    }
  }

  private onRuntimeEvent(event: RuntimeEvent): void {
    switch (event.kind) {
      case 'stopped': {
        this.variables?.reset();
        this.frames.clear();
        const stopped = new StoppedEvent(event.stop.reason, event.stop.guest + 1, event.stop.description) as DebugProtocol.StoppedEvent;
        stopped.body.description = event.stop.description;
        stopped.body.allThreadsStopped = true;
        if (event.stop.hitBreakpointIds) stopped.body.hitBreakpointIds = event.stop.hitBreakpointIds;
        this.sendEvent(stopped);
        return;
      }
      case 'output':
        this.sendEvent(new OutputEvent(event.text, event.category));
        return;
      case 'exited':
        this.sendEvent(new ExitedEvent(event.exitCode));
        this.sendEvent(new TerminatedEvent());
        return;
    }
  }

  private source(file: string): Source {
    return new Source(path.basename(file), this.convertDebuggerPathToClient(file));
  }

  private threadGuest(threadId: number | undefined): number {
    const count = this.runtime?.guestCount ?? 1;
    if (threadId === undefined || threadId < 1 || threadId > count) return this.runtime?.focusGuest ?? 0;
    return threadId - 1;
  }

  private frameGuest(frameId: number | undefined): number {
    if (frameId !== undefined && this.frames.has(frameId)) return this.frames.get(frameId)!.g;
    return this.runtime?.focusGuest ?? 0;
  }

  // ------------------------------------------------------------ lifecycle

  protected override initializeRequest(response: DebugProtocol.InitializeResponse): void {
    response.body = {
      supportsConfigurationDoneRequest: true,
      supportsConditionalBreakpoints: true,
      supportsHitConditionalBreakpoints: true,
      supportsLogPoints: true,
      supportsEvaluateForHovers: true,
      supportsStepBack: true,
      supportsSetVariable: true,
      supportsRestartRequest: true,
      supportsTerminateRequest: true,
      supportsExceptionInfoRequest: true,
      supportsExceptionFilterOptions: true,
      supportsDataBreakpoints: true,
      supportsInstructionBreakpoints: true,
      supportsDisassembleRequest: true,
      supportsSteppingGranularity: true,
      supportsReadMemoryRequest: true,
      supportsWriteMemoryRequest: true,
      supportsCompletionsRequest: true,
      completionTriggerCharacters: [' ', '['],
      supportsValueFormattingOptions: false,
      exceptionBreakpointFilters: EXCEPTION_FILTERS.map((f) => ({
        filter: f.filter, label: f.label, description: f.description, default: false, supportsCondition: true,
        conditionDescription: 'e.g. address == 0x1000, instruction contains "in", mode == user && vector == 14',
      })),
    };
    this.sendResponse(response);
  }

  protected override launchRequest(response: DebugProtocol.LaunchResponse, args: DebugProtocol.LaunchRequestArguments): void {
    this.guard(response, () => {
      this.startRuntime((args ?? {}) as unknown as Record<string, unknown>);
      this.sendResponse(response);
      this.sendEvent(new InitializedEvent());
      if (this.isConfigured) this.rt.start();
    });
  }

  private startRuntime(args: Record<string, unknown>): void {
    const config = parseLaunchConfig(args);
    if (this.reader.readFile(config.program) === undefined) throw new ConfigError(`cannot read program ${config.program}`);
    const runtime = new DebugRuntime(config, this.reader);
    this.runtime?.dispose();
    this.comparisons?.dispose();
    this.runtime = runtime;
    this.launchArgs = args;
    this.variables = new Variables(runtime);
    this.panel = new PanelState();
    this.comparisons = new CostComparisons(runtime.systemOptionsForComparison());
    runtime.on((event) => this.onRuntimeEvent(event));
    for (const [file, specs] of this.sourceBreakpoints) runtime.setSourceBreakpoints(file, specs);
    runtime.setInstructionBreakpoints(this.instructionBreakpoints.map((b) => this.instructionSpec(b)));
    runtime.setExceptionFilters(this.exceptionFilters);
    this.isLaunched = true;
    this.sendEvent(new OutputEvent(runtime.banner(), 'console'));
  }

  protected override configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): void {
    this.isConfigured = true;
    this.sendResponse(response);
    if (this.isLaunched) this.runtime?.start();
  }

  protected override restartRequest(response: DebugProtocol.RestartResponse, args: DebugProtocol.RestartArguments): void {
    this.guard(response, () => {
      const next = (args?.arguments as Record<string, unknown> | undefined) ?? this.launchArgs;
      if (!next) throw new RequestError('nothing to restart: launch a program first');
      this.startRuntime(next);
      this.sendResponse(response);
      this.rt.start();
    });
  }

  protected override terminateRequest(response: DebugProtocol.TerminateResponse): void {
    this.runtime?.dispose();
    this.comparisons?.dispose();
    this.sendResponse(response);
    this.sendEvent(new TerminatedEvent());
  }

  protected override disconnectRequest(response: DebugProtocol.DisconnectResponse, args: DebugProtocol.DisconnectArguments): void {
    this.runtime?.dispose();
    this.comparisons?.dispose();
    super.disconnectRequest(response, args);
  }

  // ------------------------------------------------------------ breakpoints

  private breakpointOut(record: BreakpointRecord): DebugProtocol.Breakpoint {
    const bp = new Breakpoint(record.isVerified) as DebugProtocol.Breakpoint;
    bp.id = record.id;
    if (record.message) bp.message = record.message;
    if (record.file && record.line !== undefined) {
      bp.line = this.convertDebuggerLineToClient(record.line);
      bp.source = this.source(record.file);
    }
    if (record.address !== undefined) bp.instructionReference = hex8(record.address);
    return bp;
  }

  protected override setBreakPointsRequest(response: DebugProtocol.SetBreakpointsResponse, args: DebugProtocol.SetBreakpointsArguments): void {
    this.guard(response, () => {
      const file = path.resolve(this.convertClientPathToDebugger(args.source.path ?? ''));
      const sourceBreakpoints: DebugProtocol.SourceBreakpoint[] = args.breakpoints ?? (args.lines ?? []).map((line) => ({ line }));
      const specs: BreakpointSpec[] = sourceBreakpoints.map((b) => ({
        line: this.convertClientLineToDebugger(b.line), condition: b.condition, hitCondition: b.hitCondition, logMessage: b.logMessage,
      }));
      this.sourceBreakpoints.set(file, specs);
      if (!this.runtime) {
        response.body = { breakpoints: specs.map((s) => ({ verified: false, line: s.line, message: 'not yet: the program is not launched' })) };
      } else {
        response.body = { breakpoints: this.runtime.setSourceBreakpoints(file, specs).map((r) => this.breakpointOut(r)) };
      }
      this.sendResponse(response);
    });
  }

  private instructionSpec(b: DebugProtocol.InstructionBreakpoint): BreakpointSpec {
    const reference = parseMemoryReference(b.instructionReference);
    return { address: (reference.address + (b.offset ?? 0)) >>> 0, condition: b.condition, hitCondition: b.hitCondition };
  }

  protected override setInstructionBreakpointsRequest(response: DebugProtocol.SetInstructionBreakpointsResponse, args: DebugProtocol.SetInstructionBreakpointsArguments): void {
    this.guard(response, () => {
      this.instructionBreakpoints = args.breakpoints;
      const records = this.runtime?.setInstructionBreakpoints(args.breakpoints.map((b) => this.instructionSpec(b))) ?? [];
      response.body = { breakpoints: records.map((r) => this.breakpointOut(r)) };
      this.sendResponse(response);
    });
  }

  protected override setExceptionBreakPointsRequest(response: DebugProtocol.SetExceptionBreakpointsResponse, args: DebugProtocol.SetExceptionBreakpointsArguments): void {
    this.guard(response, () => {
      this.exceptionFilters = [
        ...(args.filters ?? []).map((filterId) => ({ filterId })),
        ...(args.filterOptions ?? []).map((o) => ({ filterId: o.filterId, condition: o.condition })),
      ];
      const results: Array<{ isVerified: boolean; message?: string }> = this.runtime?.setExceptionFilters(this.exceptionFilters) ?? this.exceptionFilters.map(() => ({ isVerified: true }));
      response.body = { breakpoints: results.map((r) => ({ verified: r.isVerified, message: r.message })) };
      this.sendResponse(response);
    });
  }

  protected override dataBreakpointInfoRequest(response: DebugProtocol.DataBreakpointInfoResponse, args: DebugProtocol.DataBreakpointInfoArguments): void {
    this.guard(response, () => {
      const g = this.frameGuest(args.frameId);
      let address: number;
      try {
        address = args.asAddress ? parseMemoryReference(args.name).address : this.rt.evaluate(g, args.name);
      } catch (e) {
        response.body = { dataId: null, description: `cannot watch '${args.name}': ${(e as Error).message}` };
        this.sendResponse(response);
        return;
      }
      const size = args.bytes ?? 4;
      response.body = {
        dataId: `gva:${hex8(address)}:${size}`,
        description: `${size} byte${size === 1 ? '' : 's'} at guest virtual ${hex8(address)}${isRegisterExpression(args.name) ? ` (where ${args.name} points)` : ''}`,
        accessTypes: ['read', 'write', 'readWrite'], canPersist: true,
      };
      this.sendResponse(response);
    });
  }

  protected override setDataBreakpointsRequest(response: DebugProtocol.SetDataBreakpointsResponse, args: DebugProtocol.SetDataBreakpointsArguments): void {
    this.guard(response, () => {
      const specs: BreakpointSpec[] = args.breakpoints.map((b) => {
        const match = /^gva:(0x[0-9a-f]+):(\d+)$/i.exec(b.dataId);
        if (!match) throw new RequestError(`data breakpoint id '${b.dataId}' is not one of this adapter's`);
        return { address: parseInt(match[1], 16) >>> 0, size: Number(match[2]), access: (b.accessType ?? 'write') as DataAccess, condition: b.condition, hitCondition: b.hitCondition };
      });
      response.body = { breakpoints: this.rt.setDataBreakpoints(specs).map((r) => this.breakpointOut(r)) };
      this.sendResponse(response);
    });
  }

  // ------------------------------------------------------------ run control

  protected override continueRequest(response: DebugProtocol.ContinueResponse): void {
    this.guard(response, () => {
      response.body = { allThreadsContinued: true };
      this.sendResponse(response);
      this.rt.continue();
    });
  }

  protected override nextRequest(response: DebugProtocol.NextResponse, args: DebugProtocol.NextArguments): void {
    this.guard(response, () => { this.sendResponse(response); this.rt.next(this.threadGuest(args.threadId)); });
  }

  protected override stepInRequest(response: DebugProtocol.StepInResponse, args: DebugProtocol.StepInArguments): void {
    this.guard(response, () => { this.sendResponse(response); this.rt.stepIn(this.threadGuest(args.threadId)); });
  }

  protected override stepOutRequest(response: DebugProtocol.StepOutResponse, args: DebugProtocol.StepOutArguments): void {
    this.guard(response, () => { this.sendResponse(response); this.rt.stepOut(this.threadGuest(args.threadId)); });
  }

  protected override stepBackRequest(response: DebugProtocol.StepBackResponse, args: DebugProtocol.StepBackArguments): void {
    this.guard(response, () => { this.sendResponse(response); this.rt.stepBack(this.threadGuest(args.threadId)); });
  }

  protected override reverseContinueRequest(response: DebugProtocol.ReverseContinueResponse, args: DebugProtocol.ReverseContinueArguments): void {
    this.guard(response, () => { this.sendResponse(response); this.rt.reverseContinue(this.threadGuest(args.threadId)); });
  }

  protected override pauseRequest(response: DebugProtocol.PauseResponse): void {
    this.guard(response, () => { this.sendResponse(response); this.rt.pause(); });
  }

  // ------------------------------------------------------------ state

  protected override threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    const runtime = this.runtime;
    response.body = { threads: runtime ? runtime.guests.map((g, i) => new Thread(i + 1, `guest ${g.name}`)) : [] };
    this.sendResponse(response);
  }

  protected override stackTraceRequest(response: DebugProtocol.StackTraceResponse, args: DebugProtocol.StackTraceArguments): void {
    this.guard(response, () => {
      const g = this.threadGuest(args.threadId);
      const all = this.rt.frames(g);
      const start = args.startFrame ?? 0;
      const frames = all.slice(start, args.levels ? start + args.levels : undefined).map((frame) => {
        const id = this.nextFrameId++;
        this.frames.set(id, { g, frame });
        let stackFrame: StackFrame;
        if (frame.kind === 'hypervisor') {
          const source = new Source('hypervisor trap(tf)', undefined, PSEUDOCODE_SOURCE_REFERENCE, 'hyperstep', 'hypervisor');
          (source as DebugProtocol.Source).presentationHint = 'emphasize';
          stackFrame = new StackFrame(id, frame.name, source, this.convertDebuggerLineToClient(pseudocodeLineNumber(frame.hypervisorLine!)), 1);
        } else {
          stackFrame = new StackFrame(id, frame.name, frame.source ? this.source(frame.source.path) : undefined, frame.source ? this.convertDebuggerLineToClient(frame.source.line) : 0, 1);
          (stackFrame as DebugProtocol.StackFrame).instructionPointerReference = hex8(frame.pc);
          if (frame.kind === 'handler') (stackFrame as DebugProtocol.StackFrame).presentationHint = 'label';
        }
        return stackFrame;
      });
      response.body = { stackFrames: frames, totalFrames: all.length };
      this.sendResponse(response);
    });
  }

  protected override scopesRequest(response: DebugProtocol.ScopesResponse, args: DebugProtocol.ScopesArguments): void {
    this.guard(response, () => {
      const entry = this.frames.get(args.frameId);
      const g = entry?.g ?? this.rt.focusGuest;
      const frame = entry?.frame ?? this.rt.frames(g)[0];
      response.body = { scopes: this.variables!.scopes(g, frame) };
      this.sendResponse(response);
    });
  }

  protected override variablesRequest(response: DebugProtocol.VariablesResponse, args: DebugProtocol.VariablesArguments): void {
    this.guard(response, () => {
      const all = this.variables?.variables(args.variablesReference) ?? [];
      const start = args.start ?? 0;
      response.body = { variables: args.count ? all.slice(start, start + args.count) : all.slice(start) };
      this.sendResponse(response);
    });
  }

  protected override setVariableRequest(response: DebugProtocol.SetVariableResponse, args: DebugProtocol.SetVariableArguments): void {
    this.guard(response, () => {
      const result = this.variables!.setVariable(args.variablesReference, args.name, args.value, (g, text) => this.rt.evaluate(g, text));
      response.body = { value: result.value };
      this.sendResponse(response);
    });
  }

  protected override sourceRequest(response: DebugProtocol.SourceResponse, args: DebugProtocol.SourceArguments): void {
    this.guard(response, () => {
      const reference = args.source?.sourceReference ?? args.sourceReference;
      if (reference !== PSEUDOCODE_SOURCE_REFERENCE) throw new RequestError(`no source with reference ${reference}`);
      response.body = { content: PSEUDOCODE_TEXT, mimeType: 'text/plain' };
      this.sendResponse(response);
    });
  }

  protected override exceptionInfoRequest(response: DebugProtocol.ExceptionInfoResponse, args: DebugProtocol.ExceptionInfoArguments): void {
    this.guard(response, () => {
      const stop = this.rt.lastStop;
      if (!stop || stop.reason !== 'exception') throw new RequestError(`thread ${args.threadId} did not stop on an exception`);
      response.body = {
        exceptionId: stop.exceptionId ?? 'exception',
        description: stop.description,
        breakMode: 'always',
        details: { message: stop.description, typeName: stop.exceptionId },
      };
      this.sendResponse(response);
    });
  }

  // ------------------------------------------------------------ debug console

  protected override evaluateRequest(response: DebugProtocol.EvaluateResponse, args: DebugProtocol.EvaluateArguments): void {
    this.guard(response, () => {
      const g = this.frameGuest(args.frameId);
      const runtime = this.rt;
      if (args.context === 'repl' || args.context === undefined) {
        const output = runConsoleCommand(runtime, g, args.expression);
        if (output !== undefined) {
          response.body = { result: output, variablesReference: 0 };
          this.sendResponse(response);
          return;
        }
      }
      let value: number;
      let notes: string[];
      try {
        ({ value, notes } = runtime.evaluateWithNotes(g, args.expression));
      } catch (e) {
        if (!(e instanceof EvalError)) throw e;
        this.sendErrorResponse(response, { id: ErrorId.EVALUATE, format: e.message, showUser: args.context === 'repl' }, undefined, undefined, ErrorDestination.User);
        return;
      }
      response.body = { result: [formatValue(value), ...notes].join(' — '), variablesReference: 0, memoryReference: memoryReference('gva', value) };
      this.sendResponse(response);
    });
  }

  protected override completionsRequest(response: DebugProtocol.CompletionsResponse, args: DebugProtocol.CompletionsArguments): void {
    this.guard(response, () => {
      const g = this.frameGuest(args.frameId);
      const before = args.text.slice(0, Math.max(0, this.convertClientColumnToDebugger(args.column) - 1));
      const word = /[A-Za-z_.][A-Za-z0-9_.]*$/.exec(before)?.[0] ?? '';
      const isFirstWord = before.trim() === word;
      const candidates = new Set<string>([
        ...(isFirstWord ? COMMANDS : []), ...REGISTER_NAMES, ...FLAG_NAMES,
        ...(this.runtime?.symbols(g).filter((s) => s.kind !== 'local-label').map((s) => s.name) ?? []),
      ]);
      response.body = {
        targets: [...candidates].filter((c) => c.toLowerCase().startsWith(word.toLowerCase())).slice(0, 200).map((label) => ({
          label, length: word.length, type: COMMANDS.includes(label) ? 'keyword' : REGISTER_NAMES.includes(label) || FLAG_NAMES.includes(label) ? 'variable' : 'reference',
        })),
      };
      this.sendResponse(response);
    });
  }

  // ------------------------------------------------------------ memory and disassembly

  protected override readMemoryRequest(response: DebugProtocol.ReadMemoryResponse, args: DebugProtocol.ReadMemoryArguments): void {
    this.guard(response, () => {
      const reference = parseMemoryReference(args.memoryReference);
      const g = reference.guest ?? this.rt.focusGuest;
      const start = (reference.address + (args.offset ?? 0)) >>> 0;
      const count = Math.min(Math.max(0, args.count), 1 << 20);
      const bytes: number[] = [];
      for (let i = 0; i < count; i++) {
        const byte = this.rt.target.readByte(reference.space, g, (start + i) >>> 0);
        if (byte === undefined) break;
        bytes.push(byte);
      }
      response.body = { address: hex8(start), data: Buffer.from(bytes).toString('base64'), unreadableBytes: count - bytes.length };
      this.sendResponse(response);
    });
  }

  protected override writeMemoryRequest(response: DebugProtocol.WriteMemoryResponse, args: DebugProtocol.WriteMemoryArguments): void {
    this.guard(response, () => {
      const reference = parseMemoryReference(args.memoryReference);
      const g = reference.guest ?? this.rt.focusGuest;
      const data = Buffer.from(args.data, 'base64');
      const written = this.rt.writeMemory(reference.space, g, (reference.address + (args.offset ?? 0)) >>> 0, data);
      if (written < data.length && !args.allowPartial) throw new RequestError(`only ${written} of ${data.length} bytes could be written: the rest is not mapped RAM`);
      response.body = { offset: args.offset ?? 0, bytesWritten: written };
      this.sendResponse(response);
    });
  }

  protected override disassembleRequest(response: DebugProtocol.DisassembleResponse, args: DebugProtocol.DisassembleArguments): void {
    this.guard(response, () => {
      const runtime = this.rt;
      const reference = parseMemoryReference(args.memoryReference);
      const g = reference.guest ?? runtime.focusGuest;
      const space = reference.space === 'gva' ? 'gva' : reference.space;
      let address = (reference.address + (args.offset ?? 0)) >>> 0;
      const read = (a: number) => runtime.target.readByte(space, g, a >>> 0);
      const isInstructionStart = (a: number, length: number): boolean => {
        const gpa = space === 'gva' ? runtime.target.toPhysical(g, a) : space === 'gpa' ? a : undefined;
        if (gpa !== undefined) {
          const start = runtime.lineMaps[g]?.instructionStart(gpa);
          if (start !== undefined) return start === gpa && disassembleAt(a, read).length === length;
        }
        const instr = disassembleAt(a, read);
        return instr.isValid && instr.length === length;
      };
      for (let k = args.instructionOffset ?? 0; k < 0; k++) address = (address - (isInstructionStart(address - 8, 8) ? 8 : 4)) >>> 0;
      for (let k = args.instructionOffset ?? 0; k > 0; k--) address = (address + disassembleAt(address, read).length) >>> 0;
      const instructions: DebugProtocol.DisassembledInstruction[] = [];
      for (let i = 0; i < args.instructionCount; i++) {
        const instr = disassembleAt(address, read, { symbolAt: (a) => { const gpa = runtime.target.toPhysical(g, a); const l = gpa !== undefined ? runtime.labelAt(g, gpa) : undefined; return l && l.offset === 0 ? l.name : undefined; } });
        const gpa = space === 'gva' ? runtime.target.toPhysical(g, address) : space === 'gpa' ? address : undefined;
        const location = gpa !== undefined ? runtime.lineMaps[g]?.lookup(gpa) : undefined;
        const label = gpa !== undefined ? runtime.labelAt(g, gpa) : undefined;
        const out: DebugProtocol.DisassembledInstruction = {
          address: hex8(address),
          instructionBytes: instr.bytes.map((b) => b.toString(16).padStart(2, '0')).join(' '),
          instruction: instr.text,
        };
        if (label && label.offset === 0) out.symbol = label.name;
        if (location) { out.location = this.source(location.file); out.line = this.convertDebuggerLineToClient(location.line); }
        if (!instr.isValid) out.presentationHint = 'invalid';
        instructions.push(out);
        address = (address + instr.length) >>> 0;
      }
      response.body = { instructions };
      this.sendResponse(response);
    });
  }

  // ------------------------------------------------------------ custom requests for the panels

  protected override customRequest(command: string, response: DebugProtocol.Response, args: Record<string, unknown> | undefined): void {
    this.guard(response, () => {
      const guest = typeof args?.guest === 'number' ? args.guest : this.rt.focusGuest;
      if (command === SNAPSHOT_REQUEST) {
        response.body = this.panel.snapshot(this.rt, guest, this.comparisons);
      } else if (command === WALK_REQUEST) {
        if (typeof args?.va !== 'number') throw new RequestError(`${WALK_REQUEST} needs { va: number, guest?: number }`);
        response.body = walkView(this.rt, guest, args.va);
      } else {
        throw new RequestError(`unknown request '${command}'`);
      }
      this.sendResponse(response);
    });
  }
}
