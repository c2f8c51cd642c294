// The arguments each DAP request carries, checked before the request's method
// runs, so that a malformed request is refused once, with a message naming the
// field, instead of failing halfway after a success response (which left
// clients waiting) or being read as something else (`line: "ten"`). Field
// types are those of the protocol's JSON schema; nested objects (breakpoints,
// sources) are checked by the methods that read them. Also the requests this
// adapter does not implement, each with the reason given to the user.

type FieldType = 'integer' | 'string' | 'boolean' | 'object' | 'array';

interface Shape {
  /** The request may come without `arguments`. */
  isOptional?: boolean;
  required?: Record<string, FieldType>;
  optional?: Record<string, FieldType>;
}

const THREAD: Shape = { required: { threadId: 'integer' }, optional: { singleThread: 'boolean', granularity: 'string' } };

export const REQUEST_SHAPES: Record<string, Shape> = {
  initialize: {
    isOptional: true,
    optional: { adapterID: 'string', clientID: 'string', clientName: 'string', locale: 'string', linesStartAt1: 'boolean', columnsStartAt1: 'boolean', pathFormat: 'string' },
  },
  // Launch attributes are checked by launchConfig.ts, which names what is missing.
  launch: { isOptional: true, optional: { noDebug: 'boolean' } },
  restart: { isOptional: true, optional: { arguments: 'object' } },
  disconnect: { isOptional: true, optional: { restart: 'boolean', terminateDebuggee: 'boolean', suspendDebuggee: 'boolean' } },
  terminate: { isOptional: true, optional: { restart: 'boolean' } },
  configurationDone: { isOptional: true },
  setBreakpoints: { required: { source: 'object' }, optional: { breakpoints: 'array', lines: 'array', sourceModified: 'boolean' } },
  setExceptionBreakpoints: { required: { filters: 'array' }, optional: { filterOptions: 'array', exceptionOptions: 'array' } },
  setInstructionBreakpoints: { required: { breakpoints: 'array' } },
  dataBreakpointInfo: { required: { name: 'string' }, optional: { variablesReference: 'integer', frameId: 'integer', bytes: 'integer', asAddress: 'boolean', mode: 'string' } },
  setDataBreakpoints: { required: { breakpoints: 'array' } },
  breakpointLocations: { required: { source: 'object', line: 'integer' }, optional: { column: 'integer', endLine: 'integer', endColumn: 'integer' } },
  continue: { required: { threadId: 'integer' }, optional: { singleThread: 'boolean' } },
  next: THREAD,
  stepIn: { required: { threadId: 'integer' }, optional: { singleThread: 'boolean', granularity: 'string', targetId: 'integer' } },
  stepOut: THREAD,
  stepBack: THREAD,
  reverseContinue: { required: { threadId: 'integer' }, optional: { singleThread: 'boolean' } },
  pause: { required: { threadId: 'integer' } },
  threads: { isOptional: true },
  stackTrace: { required: { threadId: 'integer' }, optional: { startFrame: 'integer', levels: 'integer', format: 'object' } },
  scopes: { required: { frameId: 'integer' } },
  variables: { required: { variablesReference: 'integer' }, optional: { filter: 'string', start: 'integer', count: 'integer', format: 'object' } },
  setVariable: { required: { variablesReference: 'integer', name: 'string', value: 'string' }, optional: { format: 'object' } },
  source: { required: { sourceReference: 'integer' }, optional: { source: 'object' } },
  loadedSources: { isOptional: true },
  exceptionInfo: { required: { threadId: 'integer' } },
  evaluate: { required: { expression: 'string' }, optional: { frameId: 'integer', line: 'integer', column: 'integer', source: 'object', context: 'string', format: 'object' } },
  completions: { required: { text: 'string', column: 'integer' }, optional: { frameId: 'integer', line: 'integer' } },
  readMemory: { required: { memoryReference: 'string', count: 'integer' }, optional: { offset: 'integer' } },
  writeMemory: { required: { memoryReference: 'string', data: 'string' }, optional: { offset: 'integer', allowPartial: 'boolean' } },
  disassemble: { required: { memoryReference: 'string', instructionCount: 'integer' }, optional: { offset: 'integer', instructionOffset: 'integer', resolveSymbols: 'boolean' } },
};

/** Requests of the protocol this adapter does not claim in its capabilities: each is refused with its reason. */
export const REFUSED_REQUESTS: Record<string, string> = {
  attach: 'hyperstep cannot attach to a running program: it runs the guest in its own simulator, so use a "launch" configuration',
  setFunctionBreakpoints: "function breakpoints are not supported: set a breakpoint on the label's line, or an instruction breakpoint at its address",
  setExpression: 'assigning to an expression is not supported: set registers and flag bits in the Variables view, or edit memory in the memory view',
  stepInTargets: 'step-into targets are not supported: a G32 line holds one instruction',
  gotoTargets: 'goto targets are not supported: set pc in the Variables view to jump',
  goto: 'goto is not supported: set pc in the Variables view to jump',
  restartFrame: 'restarting a frame is not supported: use Step Back',
  terminateThreads: 'guests cannot be terminated one by one: stop the session to end them all',
  cancel: 'requests cannot be cancelled: each is answered before the next is read (pause stops a run)',
  modules: 'the program has no modules',
};

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number' && Number.isInteger(value)) return 'integer';
  return typeof value;
}

function matches(value: unknown, type: FieldType): boolean {
  return typeOf(value) === type;
}

/** What is wrong with a request's arguments, in words, or undefined when they fit its shape. */
export function argumentProblem(command: string, args: unknown): string | undefined {
  const shape = REQUEST_SHAPES[command];
  if (!shape) return undefined;
  if (args === undefined || args === null) {
    if (shape.isOptional) return undefined;
    const fields = Object.keys(shape.required ?? {});
    return `'${command}' needs arguments${fields.length > 0 ? ` with ${fields.map((f) => `'${f}'`).join(', ')}` : ''}`;
  }
  if (typeOf(args) !== 'object') return `the arguments of '${command}' must be an object; got ${typeOf(args)}`;
  const record = args as Record<string, unknown>;
  for (const [field, type] of Object.entries(shape.required ?? {})) {
    if (record[field] === undefined) return `'${command}' needs '${field}' (${type === 'integer' ? 'a whole number' : `a ${type}`})`;
    if (!matches(record[field], type)) return `'${command}': '${field}' must be ${type === 'integer' ? 'a whole number' : `a ${type}`}; got ${JSON.stringify(record[field])}`;
  }
  for (const [field, type] of Object.entries(shape.optional ?? {})) {
    if (record[field] === undefined) continue;
    if (!matches(record[field], type)) return `'${command}': '${field}' must be ${type === 'integer' ? 'a whole number' : `a ${type}`}; got ${JSON.stringify(record[field])}`;
  }
  return undefined;
}
