// The Debug Adapter Protocol session: one short method per DAP request that
// converts the arguments, calls the DebugRuntime and converts the result.
// It holds no simulator logic. Lines are the runtime's (1-based) converted to
// the client's numbering here; errors are caught at this edge and answered
// with sendErrorResponse, once (dispatchRequest refuses malformed and
// unimplemented requests before any method runs: requestArguments.ts). Breakpoint ids
// are the session's, stable across restarts. Used inline by the extension and on stdio by
// `hyperstep-dap` (main.ts), each passing its own file reader.

import * as path from 'path';
import {
  Breakpoint,
  BreakpointEvent,
  DebugSession,
  ErrorDestination,
  ExitedEvent,
  InitializedEvent,
  InvalidatedEvent,
  MemoryEvent,
  OutputEvent,
  Response,
  Source,
  StackFrame,
  StoppedEvent,
  TerminatedEvent,
  Thread,
} from '@vscode/debugadapter';
import { DebugProtocol } from '@vscode/debugprotocol';
import { PSEUDOCODE_TEXT, pseudocodeLineNumber } from '../hypervisor/pseudocode';
import { ConfigError } from '../hypervisor/system';
import { LoadError } from '../loader/program';
import { disassembleAt } from '../asm';
import { BreakpointRecord, BreakpointSpec } from './breakpoints';
import { COMMANDS, runConsoleCommand } from './commands';
import { CostComparisons } from './comparisons';
import { EvalError, formatValue, FLAG_NAMES, isRegisterExpression, REGISTER_NAMES } from './evaluate';
import { hexWord } from '../machine/format';
import { EXCEPTION_FILTERS } from './exceptionFilters';
import { parseLaunchConfig } from './launchConfig';
import { PanelState, walkView } from './panel';
import { argumentProblem, REFUSED_REQUESTS } from './requestArguments';
import { DebugRuntime, FileReader, FrameInfo, RuntimeEvent } from './runtime';
import { memoryReference, parseMemoryReference, Variables } from './variables';

/** Stable ids of this adapter's error responses: a refused request or bad setting (shown to the user), an expression that failed, a bug in hyperstep. */
export const enum ErrorId {
  REQUEST = 2003,
  EVALUATE = 2004,
  INTERNAL = 3003,
}

export const PSEUDOCODE_SOURCE_REFERENCE = 1;
export const SNAPSHOT_REQUEST = 'hyperstep/snapshot';
export const WALK_REQUEST = 'hyperstep/walk';
/** Most bytes one readMemory answers; a larger count is refused (clients read in pieces). */
export const MAX_READ_MEMORY = 1 << 20;
/** Most instructions one disassemble answers (and most it moves by `instructionOffset`). */
export const MAX_DISASSEMBLE = 10_000;

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
  /** `noDebug: true`: the program runs without stopping (no breakpoints, no filters, no entry stop). */
  private isNoDebug = false;
  /** What the client said it supports (initialize). */
  private client: { supportsMemoryEvent?: boolean; supportsInvalidatedEvent?: boolean } = {};
  /** Requests that arrive before launch are kept and applied to each runtime (launch and restart). */
  private sourceBreakpoints = new Map<string, BreakpointSpec[]>();
  private instructionBreakpoints: BreakpointSpec[] = [];
  private dataBreakpoints: BreakpointSpec[] = [];
  private exceptionFilters: Array<{ filterId: string; condition?: string }> = [];
  /** Breakpoint ids are the session's, so they survive a restart; what the client was last told of each. */
  private nextBreakpointId = 1;
  private reportedBreakpoints = new Map<number, string>();

  constructor(private readonly reader: FileReader) {
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
      const text = isUserError ? message : `hyperstep internal error: ${message}`;
      // Answered already (the failure came after the response): a second response would be dropped, so say it on stderr.
      if (response.seq > 0) {
        this.sendEvent(new OutputEvent(`${text}\n`, 'stderr'));
        return;
      }
      this.sendErrorResponse(response, { id: isUserError ? ErrorId.REQUEST : ErrorId.INTERNAL, format: text, showUser: isUserError }, undefined, undefined, ErrorDestination.User);
    }
  }

  private refuse(response: DebugProtocol.Response, message: string): void {
    this.sendErrorResponse(response, { id: ErrorId.REQUEST, format: message, showUser: true }, undefined, undefined, ErrorDestination.User);
  }

  /**
   * Every request passes here first: one without a command, one this adapter
   * does not implement, or one whose arguments do not fit the protocol is
   * refused with a message before any method runs.
   */
  protected override dispatchRequest(request: DebugProtocol.Request): void {
    const command: unknown = request.command;
    if (typeof command !== 'string' || command === '') {
      this.refuse(new Response({ ...request, seq: request.seq ?? 0, command: typeof command === 'string' ? command : '' }), 'a request needs a command');
      return;
    }
    const refusal = REFUSED_REQUESTS[command];
    if (refusal) {
      this.refuse(new Response(request), refusal);
      return;
    }
    const problem = argumentProblem(command, request.arguments);
    if (problem) {
      this.refuse(new Response(request), problem);
      return;
    }
    if (command === 'initialize') {
      const args = (request.arguments ?? {}) as DebugProtocol.InitializeRequestArguments;
      // `pathFormat` is optional and defaults to 'path'; only URIs are refused.
      if (args.pathFormat !== undefined && args.pathFormat !== 'path') {
        this.refuse(new Response(request), `hyperstep takes file paths: pathFormat must be 'path'; got '${args.pathFormat}'`);
        return;
      }
      this.client = { supportsMemoryEvent: args.supportsMemoryEvent === true, supportsInvalidatedEvent: args.supportsInvalidatedEvent === true };
      super.dispatchRequest({ ...request, arguments: { ...args, pathFormat: 'path' } });
      return;
    }
    super.dispatchRequest(request);
  }

  private onRuntimeEvent(event: RuntimeEvent): void {
    switch (event.kind) {
      case 'stopped': {
        this.variables?.reset();
        this.frames.clear();
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- the class's body type lacks the fields set below
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

  /** The guest of a thread id; an id that names no guest is refused. */
  private threadGuest(threadId: number): number {
    const count = this.rt.guestCount;
    if (!Number.isInteger(threadId) || threadId < 1 || threadId > count) {
      throw new RequestError(`no thread ${threadId}: the threads are ${count === 1 ? '1' : `1 to ${count}`}, one per guest`);
    }
    return threadId - 1;
  }

  /** The guest of a stack frame id (the focus guest when none is given); an unknown id is refused. */
  private frameGuest(frameId: number | undefined): number {
    if (frameId === undefined) return this.runtime?.focusGuest ?? 0;
    const entry = this.frames.get(frameId);
    if (!entry) throw new RequestError(`no stack frame ${frameId}: frame ids hold until the next stop; ask for the stack trace again`);
    return entry.g;
  }

  /** The guest a memory reference names (guestN:), else the focus guest. */
  private referenceGuest(reference: { guest?: number }): number {
    const runtime = this.rt;
    if (reference.guest === undefined) return runtime.focusGuest;
    if (reference.guest >= runtime.guestCount) throw new RequestError(`no guest${reference.guest}: the guests are 0 to ${runtime.guestCount - 1}`);
    return reference.guest;
  }

  private memoryRef(text: string): ReturnType<typeof parseMemoryReference> {
    try {
      return parseMemoryReference(text);
    } catch (e) {
      throw new RequestError((e as Error).message);
    }
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
      supportsBreakpointLocationsRequest: true,
      supportsLoadedSourcesRequest: true,
      completionTriggerCharacters: [' ', '['],
      supportsValueFormattingOptions: false,
      exceptionBreakpointFilters: EXCEPTION_FILTERS.map((f) => ({
        filter: f.filter,
        label: f.label,
        description: f.description,
        default: false,
        supportsCondition: true,
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
    const read = this.reader.readSourceFile(config.program);
    if ('error' in read) throw new ConfigError(`cannot read program ${config.program}: ${read.error}`);
    const isNoDebug = args.noDebug === true;
    if (isNoDebug) config.isStopOnEntry = false;
    const runtime = new DebugRuntime(config, this.reader);
    // Disposing also drops its listeners: a run still in its slices stops without a word to this client.
    this.runtime?.dispose();
    this.comparisons?.dispose();
    this.runtime = runtime;
    this.launchArgs = args;
    this.isNoDebug = isNoDebug;
    this.variables = new Variables(runtime);
    this.panel = new PanelState();
    this.comparisons = new CostComparisons(runtime.systemOptionsForComparison());
    runtime.on((event) => this.onRuntimeEvent(event));
    if (!isNoDebug) {
      // The same ids as before (restart): the client learns only what changed, by `breakpoint` events.
      for (const [file, specs] of this.sourceBreakpoints) this.announce(runtime.setSourceBreakpoints(file, specs));
      this.announce(runtime.setInstructionBreakpoints(this.instructionBreakpoints));
      if (this.dataBreakpoints.length > 0) this.announce(runtime.setDataBreakpoints(this.dataBreakpoints));
      runtime.setExceptionFilters(this.exceptionFilters);
    }
    this.isLaunched = true;
    this.sendEvent(new OutputEvent(runtime.banner(), 'console'));
  }

  protected override configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): void {
    this.guard(response, () => {
      this.isConfigured = true;
      this.sendResponse(response);
      if (this.isLaunched) this.runtime?.start();
    });
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
    // Disposing drops the run's listeners, so no stop of the ended run follows the response.
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
    if (record.address !== undefined) bp.instructionReference = hexWord(record.address);
    return this.remember(bp);
  }

  /** Notes what the client is told of a breakpoint, so a restart reports only what changed. */
  private remember(bp: DebugProtocol.Breakpoint): DebugProtocol.Breakpoint {
    if (bp.id !== undefined) this.reportedBreakpoints.set(bp.id, JSON.stringify(bp));
    return bp;
  }

  /** After a launch or restart: a `breakpoint` event for each breakpoint whose state differs from what the client was told. */
  private announce(records: BreakpointRecord[]): void {
    for (const record of records) {
      const before = this.reportedBreakpoints.get(record.id);
      const bp = this.breakpointOut(record);
      if (before !== JSON.stringify(bp)) this.sendEvent(new BreakpointEvent('changed', bp));
    }
  }

  /** Breakpoints answered without a runtime (before launch, or without debugging): not verified, with why. */
  private unverified(specs: BreakpointSpec[], source?: Source): DebugProtocol.Breakpoint[] {
    const why = this.isNoDebug ? 'not set: the program runs without debugging (noDebug)' : 'not yet: the program is not launched';
    return specs.map((spec) =>
      this.remember({
        id: spec.id,
        verified: false,
        message: spec.problem ?? why,
        ...(source && spec.line !== undefined ? { line: this.convertDebuggerLineToClient(spec.line), source } : {}),
      }),
    );
  }

  /** What is wrong with a breakpoint's optional texts, or undefined. */
  private textProblem(b: { condition?: unknown; hitCondition?: unknown; logMessage?: unknown }): string | undefined {
    for (const field of ['condition', 'hitCondition', 'logMessage'] as const) {
      if (b[field] !== undefined && typeof b[field] !== 'string') return `'${field}' must be a string; got ${JSON.stringify(b[field])}`;
    }
    return undefined;
  }

  protected override setBreakPointsRequest(response: DebugProtocol.SetBreakpointsResponse, args: DebugProtocol.SetBreakpointsArguments): void {
    this.guard(response, () => {
      const requested: unknown[] = args.breakpoints ?? (args.lines ?? []).map((line) => ({ line }));
      const specs: BreakpointSpec[] = requested.map((item) => {
        const id = this.nextBreakpointId++;
        if (typeof item !== 'object' || item === null) return { id, problem: `a breakpoint must be an object with a 'line'; got ${JSON.stringify(item)}` };
        const b = item as DebugProtocol.SourceBreakpoint;
        const line = Number.isInteger(b.line) ? this.convertClientLineToDebugger(b.line) : undefined;
        if (line === undefined || line < 1) {
          return { id, problem: `'line' must be a whole number from ${this.convertDebuggerLineToClient(1)}; got ${JSON.stringify(b.line)}` };
        }
        const problem = this.textProblem(b);
        if (problem) return { id, line, problem };
        return { id, line, condition: b.condition, hitCondition: b.hitCondition, logMessage: b.logMessage };
      });
      if (typeof args.source.path !== 'string' || args.source.path === '') {
        // A source known only by reference (the hypervisor's pseudocode) holds no guest instructions.
        response.body = { breakpoints: specs.map((spec) => this.remember({ id: spec.id, verified: false, message: 'breakpoints can be set in .g32 files only (this source has no path)' })) };
        this.sendResponse(response);
        return;
      }
      const file = path.resolve(this.convertClientPathToDebugger(args.source.path));
      this.sourceBreakpoints.set(file, specs);
      if (!this.runtime || this.isNoDebug) {
        response.body = { breakpoints: this.unverified(specs, this.source(file)) };
      } else {
        response.body = { breakpoints: this.runtime.setSourceBreakpoints(file, specs).map((r) => this.breakpointOut(r)) };
      }
      this.sendResponse(response);
    });
  }

  private instructionSpec(item: unknown): BreakpointSpec {
    const id = this.nextBreakpointId++;
    if (typeof item !== 'object' || item === null) return { id, problem: `an instruction breakpoint must be an object; got ${JSON.stringify(item)}` };
    const b = item as DebugProtocol.InstructionBreakpoint;
    if (typeof b.instructionReference !== 'string') return { id, problem: `'instructionReference' must be a string; got ${JSON.stringify(b.instructionReference)}` };
    if (b.offset !== undefined && !Number.isInteger(b.offset)) return { id, problem: `'offset' must be a whole number; got ${JSON.stringify(b.offset)}` };
    const problem = this.textProblem(b);
    if (problem) return { id, problem };
    try {
      const reference = parseMemoryReference(b.instructionReference);
      return { id, address: (reference.address + (b.offset ?? 0)) >>> 0, condition: b.condition, hitCondition: b.hitCondition };
    } catch (e) {
      return { id, problem: (e as Error).message };
    }
  }

  protected override setInstructionBreakpointsRequest(response: DebugProtocol.SetInstructionBreakpointsResponse, args: DebugProtocol.SetInstructionBreakpointsArguments): void {
    this.guard(response, () => {
      this.instructionBreakpoints = args.breakpoints.map((b) => this.instructionSpec(b));
      response.body = {
        breakpoints:
          this.runtime && !this.isNoDebug ? this.runtime.setInstructionBreakpoints(this.instructionBreakpoints).map((r) => this.breakpointOut(r)) : this.unverified(this.instructionBreakpoints),
      };
      this.sendResponse(response);
    });
  }

  /** The lines of a range that hold an instruction (where a breakpoint would stay). Needs the program assembled: none before launch. */
  protected override breakpointLocationsRequest(response: DebugProtocol.BreakpointLocationsResponse, args: DebugProtocol.BreakpointLocationsArguments): void {
    this.guard(response, () => {
      const first = this.convertClientLineToDebugger(args.line);
      const last = args.endLine !== undefined ? this.convertClientLineToDebugger(args.endLine) : first;
      const lines = new Set<number>();
      if (this.runtime && typeof args.source.path === 'string') {
        const file = path.resolve(this.convertClientPathToDebugger(args.source.path));
        for (const lineMap of this.runtime.lineMaps) {
          for (const instruction of lineMap.instructions()) {
            if (instruction.file === file && instruction.line >= first && instruction.line <= last) lines.add(instruction.line);
          }
        }
      }
      response.body = { breakpoints: [...lines].sort((a, b) => a - b).map((line) => ({ line: this.convertDebuggerLineToClient(line) })) };
      this.sendResponse(response);
    });
  }

  protected override setExceptionBreakPointsRequest(response: DebugProtocol.SetExceptionBreakpointsResponse, args: DebugProtocol.SetExceptionBreakpointsArguments): void {
    this.guard(response, () => {
      if (!args.filters.every((f) => typeof f === 'string')) throw new RequestError(`'filters' must be a list of filter ids (strings); got ${JSON.stringify(args.filters)}`);
      if (!(args.filterOptions ?? []).every((o) => typeof o === 'object' && o !== null && typeof o.filterId === 'string' && (o.condition === undefined || typeof o.condition === 'string'))) {
        throw new RequestError(`'filterOptions' must be a list of { filterId, condition? }; got ${JSON.stringify(args.filterOptions)}`);
      }
      this.exceptionFilters = [...args.filters.map((filterId) => ({ filterId })), ...(args.filterOptions ?? []).map((o) => ({ filterId: o.filterId, condition: o.condition }))];
      const results: Array<{ isVerified: boolean; message?: string }> = this.isNoDebug
        ? this.exceptionFilters.map(() => ({ isVerified: false, message: 'not set: the program runs without debugging (noDebug)' }))
        : (this.runtime?.setExceptionFilters(this.exceptionFilters) ?? this.exceptionFilters.map(() => ({ isVerified: true })));
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
        dataId: `gva:${hexWord(address)}:${size}`,
        description: `${size} byte${size === 1 ? '' : 's'} at guest virtual ${hexWord(address)}${isRegisterExpression(args.name) ? ` (where ${args.name} points)` : ''}`,
        accessTypes: ['read', 'write', 'readWrite'],
        canPersist: true,
      };
      this.sendResponse(response);
    });
  }

  protected override setDataBreakpointsRequest(response: DebugProtocol.SetDataBreakpointsResponse, args: DebugProtocol.SetDataBreakpointsArguments): void {
    this.guard(response, () => {
      const runtime = this.rt;
      const specs: BreakpointSpec[] = args.breakpoints.map((b) => {
        const id = this.nextBreakpointId++;
        const match = typeof b?.dataId === 'string' ? /^gva:(0x[0-9a-f]+):(\d+)$/i.exec(b.dataId) : null;
        if (!match) return { id, problem: `data breakpoint id ${JSON.stringify(b?.dataId)} is not one of this adapter's (ask dataBreakpointInfo for one)` };
        if (b.accessType !== undefined && !['read', 'write', 'readWrite'].includes(b.accessType))
          return { id, problem: `'accessType' must be 'read', 'write' or 'readWrite'; got ${JSON.stringify(b.accessType)}` };
        const problem = this.textProblem(b);
        if (problem) return { id, problem };
        return { id, address: parseInt(match[1], 16) >>> 0, size: Number(match[2]), access: b.accessType ?? 'write', condition: b.condition, hitCondition: b.hitCondition };
      });
      this.dataBreakpoints = specs;
      response.body = { breakpoints: this.isNoDebug ? this.unverified(specs) : runtime.setDataBreakpoints(specs).map((r) => this.breakpointOut(r)) };
      this.sendResponse(response);
    });
  }

  // ------------------------------------------------------------ run control

  // Each validates the thread before answering: a failure after the response would leave the client waiting.

  protected override continueRequest(response: DebugProtocol.ContinueResponse, args: DebugProtocol.ContinueArguments): void {
    this.guard(response, () => {
      this.threadGuest(args.threadId);
      response.body = { allThreadsContinued: true };
      this.sendResponse(response);
      this.rt.continue();
    });
  }

  protected override nextRequest(response: DebugProtocol.NextResponse, args: DebugProtocol.NextArguments): void {
    this.guard(response, () => {
      const g = this.threadGuest(args.threadId);
      this.sendResponse(response);
      this.rt.next(g);
    });
  }

  protected override stepInRequest(response: DebugProtocol.StepInResponse, args: DebugProtocol.StepInArguments): void {
    this.guard(response, () => {
      const g = this.threadGuest(args.threadId);
      this.sendResponse(response);
      this.rt.stepIn(g);
    });
  }

  protected override stepOutRequest(response: DebugProtocol.StepOutResponse, args: DebugProtocol.StepOutArguments): void {
    this.guard(response, () => {
      const g = this.threadGuest(args.threadId);
      this.sendResponse(response);
      this.rt.stepOut(g);
    });
  }

  protected override stepBackRequest(response: DebugProtocol.StepBackResponse, args: DebugProtocol.StepBackArguments): void {
    this.guard(response, () => {
      const g = this.threadGuest(args.threadId);
      this.sendResponse(response);
      this.rt.stepBack(g);
    });
  }

  protected override reverseContinueRequest(response: DebugProtocol.ReverseContinueResponse, args: DebugProtocol.ReverseContinueArguments): void {
    this.guard(response, () => {
      const g = this.threadGuest(args.threadId);
      this.sendResponse(response);
      this.rt.reverseContinue(g);
    });
  }

  protected override pauseRequest(response: DebugProtocol.PauseResponse, args: DebugProtocol.PauseArguments): void {
    this.guard(response, () => {
      this.threadGuest(args.threadId);
      this.sendResponse(response);
      this.rt.pause();
    });
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
      const start = Math.max(0, args.startFrame ?? 0);
      const frames = all.slice(start, args.levels ? start + args.levels : undefined).map((frame) => {
        const id = this.nextFrameId++;
        this.frames.set(id, { g, frame });
        let stackFrame: StackFrame;
        if (frame.kind === 'hypervisor') {
          const source = new Source('hypervisor trap(tf)', undefined, PSEUDOCODE_SOURCE_REFERENCE, 'hyperstep', 'hypervisor');
          (source as DebugProtocol.Source).presentationHint = 'emphasize';
          stackFrame = new StackFrame(id, frame.name, source, this.convertDebuggerLineToClient(pseudocodeLineNumber(frame.hypervisorLine!)), this.convertDebuggerColumnToClient(1));
        } else {
          // Without a source, line and column are 0 and ignored by clients (protocol), whatever their numbering.
          stackFrame = new StackFrame(
            id,
            frame.name,
            frame.source ? this.source(frame.source.path) : undefined,
            frame.source ? this.convertDebuggerLineToClient(frame.source.line) : 0,
            frame.source ? this.convertDebuggerColumnToClient(1) : 0,
          );
          stackFrame.instructionPointerReference = hexWord(frame.pc);
          if (frame.kind === 'handler') stackFrame.presentationHint = 'label';
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
      if (!entry) throw new RequestError(`no stack frame ${args.frameId}: frame ids hold until the next stop; ask for the stack trace again`);
      response.body = { scopes: this.variables!.scopes(entry.g, entry.frame) };
      this.sendResponse(response);
    });
  }

  protected override variablesRequest(response: DebugProtocol.VariablesResponse, args: DebugProtocol.VariablesArguments): void {
    this.guard(response, () => {
      this.checkVariablesReference(args.variablesReference);
      const all = this.variables!.variables(args.variablesReference);
      const start = Math.max(0, args.start ?? 0);
      response.body = { variables: args.count ? all.slice(start, start + args.count) : all.slice(start) };
      this.sendResponse(response);
    });
  }

  protected override setVariableRequest(response: DebugProtocol.SetVariableResponse, args: DebugProtocol.SetVariableArguments): void {
    this.guard(response, () => {
      this.checkVariablesReference(args.variablesReference);
      const result = this.variables!.setVariable(args.variablesReference, args.name, args.value, (g, text) => this.rt.evaluate(g, text));
      response.body = { value: result.value };
      this.sendResponse(response);
      // Other views show this register too (flags, watches, the pc's frame).
      if (this.client.supportsInvalidatedEvent) this.sendEvent(new InvalidatedEvent(/^(pc|sp|r15)$/i.test(args.name) ? ['all'] : ['variables'], result.g + 1));
    });
  }

  private checkVariablesReference(reference: number): void {
    if (!this.variables?.has(reference)) throw new RequestError(`no variables with reference ${reference}: references hold until the next stop; ask for the scopes again`);
  }

  /** The program's files: the sources its guests were assembled from, includes too. */
  protected override loadedSourcesRequest(response: DebugProtocol.LoadedSourcesResponse): void {
    const files = new Set<string>();
    for (const lineMap of this.runtime?.lineMaps ?? []) for (const entry of lineMap.allEntries()) files.add(entry.file);
    response.body = { sources: [...files].sort().map((file) => this.source(file)) };
    this.sendResponse(response);
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
      this.threadGuest(args.threadId);
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
        ...(isFirstWord ? COMMANDS : []),
        ...REGISTER_NAMES,
        ...FLAG_NAMES,
        ...(this.runtime
          ?.symbols(g)
          .filter((s) => s.kind !== 'local-label')
          .map((s) => s.name) ?? []),
      ]);
      response.body = {
        targets: [...candidates]
          .filter((c) => c.toLowerCase().startsWith(word.toLowerCase()))
          .slice(0, 200)
          .map((label) => ({
            label,
            length: word.length,
            type: COMMANDS.includes(label) ? 'keyword' : REGISTER_NAMES.includes(label) || FLAG_NAMES.includes(label) ? 'variable' : 'reference',
          })),
      };
      this.sendResponse(response);
    });
  }

  // ------------------------------------------------------------ memory and disassembly

  protected override readMemoryRequest(response: DebugProtocol.ReadMemoryResponse, args: DebugProtocol.ReadMemoryArguments): void {
    this.guard(response, () => {
      const reference = this.memoryRef(args.memoryReference);
      const g = this.referenceGuest(reference);
      const start = (reference.address + (args.offset ?? 0)) >>> 0;
      if (args.count < 0) throw new RequestError(`'count' must be 0 or more; got ${args.count}`);
      // Answering fewer bytes with unreadableBytes 0 would tell the client that memory ends there.
      if (args.count > MAX_READ_MEMORY) throw new RequestError(`readMemory reads at most ${MAX_READ_MEMORY} bytes (1 MiB) at once; ${args.count} were asked: read in pieces`);
      const bytes: number[] = [];
      for (let i = 0; i < args.count; i++) {
        const byte = this.rt.target.readByte(reference.space, g, (start + i) >>> 0);
        if (byte === undefined) break;
        bytes.push(byte);
      }
      response.body = { address: hexWord(start), data: Buffer.from(bytes).toString('base64'), unreadableBytes: args.count - bytes.length };
      this.sendResponse(response);
    });
  }

  protected override writeMemoryRequest(response: DebugProtocol.WriteMemoryResponse, args: DebugProtocol.WriteMemoryArguments): void {
    this.guard(response, () => {
      const reference = this.memoryRef(args.memoryReference);
      const g = this.referenceGuest(reference);
      // Node's decoder skips what is not base64; writing that would be writing garbage.
      if (args.data.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(args.data)) {
        throw new RequestError(`writeMemory 'data' must be base64 (A-Z a-z 0-9 + /, padded with = to a multiple of 4 characters); got ${JSON.stringify(args.data.slice(0, 40))}`);
      }
      const data = Buffer.from(args.data, 'base64');
      const address = (reference.address + (args.offset ?? 0)) >>> 0;
      const writable = this.rt.target.writableLength(reference.space, g, address, data.length);
      if (writable < data.length && !args.allowPartial) {
        throw new RequestError(`nothing written: only ${writable} of the ${data.length} bytes at ${reference.space}:${hexWord(address)} are RAM (set allowPartial to write those)`);
      }
      const written = this.rt.writeMemory(reference.space, g, address, data.subarray(0, writable));
      response.body = { offset: args.offset ?? 0, bytesWritten: written };
      this.sendResponse(response);
      if (written === 0) return;
      // The same bytes appear under other references (gva/gpa/ma) and in registers' views: the client refreshes them.
      if (this.client.supportsMemoryEvent) this.sendEvent(new MemoryEvent(args.memoryReference, args.offset ?? 0, written));
      if (this.client.supportsInvalidatedEvent) this.sendEvent(new InvalidatedEvent(['variables']));
    });
  }

  protected override disassembleRequest(response: DebugProtocol.DisassembleResponse, args: DebugProtocol.DisassembleArguments): void {
    this.guard(response, () => {
      const runtime = this.rt;
      const reference = this.memoryRef(args.memoryReference);
      const g = this.referenceGuest(reference);
      if (args.instructionCount < 0 || args.instructionCount > MAX_DISASSEMBLE) {
        throw new RequestError(`disassemble answers 0 to ${MAX_DISASSEMBLE} instructions at once; ${args.instructionCount} were asked: ask in pieces`);
      }
      if (Math.abs(args.instructionOffset ?? 0) > MAX_DISASSEMBLE) {
        throw new RequestError(`disassemble moves at most ${MAX_DISASSEMBLE} instructions away ('instructionOffset'); got ${args.instructionOffset}: use a memory reference nearer`);
      }
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
        const instr = disassembleAt(address, read, {
          symbolAt: (a) => {
            const gpa = runtime.target.toPhysical(g, a);
            const l = gpa !== undefined ? runtime.labelAt(g, gpa) : undefined;
            return l && l.offset === 0 ? l.name : undefined;
          },
        });
        const gpa = space === 'gva' ? runtime.target.toPhysical(g, address) : space === 'gpa' ? address : undefined;
        const location = gpa !== undefined ? runtime.lineMaps[g]?.lookup(gpa) : undefined;
        const label = gpa !== undefined ? runtime.labelAt(g, gpa) : undefined;
        const out: DebugProtocol.DisassembledInstruction = {
          address: hexWord(address),
          instructionBytes: instr.bytes.map((b) => b.toString(16).padStart(2, '0')).join(' '),
          instruction: instr.text,
        };
        if (label && label.offset === 0) out.symbol = label.name;
        if (location) {
          out.location = this.source(location.file);
          out.line = this.convertDebuggerLineToClient(location.line);
        }
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
      if (command !== SNAPSHOT_REQUEST && command !== WALK_REQUEST) throw new RequestError(`unknown request '${command}'`);
      const runtime = this.rt;
      if (args?.guest !== undefined && (!Number.isInteger(args.guest) || (args.guest as number) < 0 || (args.guest as number) >= runtime.guestCount)) {
        throw new RequestError(`${command}: 'guest' must be a guest index from 0 to ${runtime.guestCount - 1}; got ${JSON.stringify(args.guest)}`);
      }
      const guest = typeof args?.guest === 'number' ? args.guest : runtime.focusGuest;
      if (command === SNAPSHOT_REQUEST) {
        response.body = this.panel.snapshot(this.rt, guest, this.comparisons);
      } else {
        if (typeof args?.va !== 'number') throw new RequestError(`${WALK_REQUEST} needs { va: number, guest?: number }`);
        response.body = walkView(this.rt, guest, args.va);
      }
      this.sendResponse(response);
    });
  }
}
