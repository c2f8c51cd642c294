// Which steps of the "Get started with hyperstep" walkthrough a real event
// completes: opening a lab's guest, a debug session starting, the
// protection-fault exception filter being enabled, and a stop showing the
// hypervisor's frame. The extension (walkthroughProgress.ts) feeds this the
// debug adapter's traffic and sets the context keys the walkthrough's
// `completionEvents` wait for. No VS Code import, so it is tested on its own.

/** Progress the walkthrough watches for, beyond commands run (panels are opened by command). */
export type WalkthroughProgress = 'labOpened' | 'debugStarted' | 'protectionFaultFilter' | 'inHypervisor';

/** The context key set (to true) when each kind of progress happens: `onContext:KEY` in package.json. */
export const WALKTHROUGH_CONTEXT_KEYS: Readonly<Record<WalkthroughProgress, string>> = {
  labOpened: 'hyperstep.walkthrough.labOpened',
  debugStarted: 'hyperstep.walkthrough.debugStarted',
  protectionFaultFilter: 'hyperstep.walkthrough.protectionFaultFilter',
  inHypervisor: 'hyperstep.walkthrough.inHypervisor',
};

/** The exception filter the walkthrough has the user enable (its id is part of the adapter's interface). */
export const PROTECTION_FAULT_FILTER = 'protection-fault';

/**
 * How the debug adapter names the hypervisor's frame on the call stack:
 * `hypervisor trap(): <what trapped>`, with the pseudocode source `hypervisor trap(tf)`.
 */
const HYPERVISOR_FRAME_PREFIX = 'hypervisor trap()';
const HYPERVISOR_SOURCE_NAME = 'hypervisor trap(tf)';

/** The parts of a Debug Adapter Protocol message this module reads. */
export interface DapMessage {
  type?: string;
  command?: string;
  event?: string;
  success?: boolean;
  arguments?: unknown;
  body?: unknown;
}

/** Progress shown by a message VS Code sends to the adapter (a request). */
export function progressFromRequest(message: DapMessage): WalkthroughProgress[] {
  if (message.type !== 'request') return [];
  if (message.command === 'setExceptionBreakpoints' && enablesFilter(message.arguments, PROTECTION_FAULT_FILTER)) return ['protectionFaultFilter'];
  return [];
}

/** Progress shown by a message the adapter sends to VS Code (a response or an event). */
export function progressFromAdapter(message: DapMessage): WalkthroughProgress[] {
  if (message.type === 'event' && message.event === 'initialized') return ['debugStarted'];
  if (message.type === 'response' && message.success === true) {
    if (message.command === 'launch') return ['debugStarted'];
    if (message.command === 'stackTrace' && isHypervisorOnTop(message.body)) return ['inHypervisor'];
  }
  return [];
}

function enablesFilter(args: unknown, filter: string): boolean {
  if (!isObject(args)) return false;
  const filters = Array.isArray(args.filters) ? args.filters : [];
  const options = Array.isArray(args.filterOptions) ? args.filterOptions : [];
  return filters.includes(filter) || options.some((option) => isObject(option) && option.filterId === filter);
}

/** The innermost frame is the hypervisor's: the user stepped into (or stopped in) the trap handler. */
function isHypervisorOnTop(body: unknown): boolean {
  if (!isObject(body) || !Array.isArray(body.stackFrames)) return false;
  const top: unknown = body.stackFrames[0];
  if (!isObject(top)) return false;
  const sourceName = isObject(top.source) ? top.source.name : undefined;
  return (typeof top.name === 'string' && top.name.startsWith(HYPERVISOR_FRAME_PREFIX)) || sourceName === HYPERVISOR_SOURCE_NAME;
}

/** A `.g32` file inside a lab folder (`labs/<lab>/…`): opening one completes the first step. */
export function isLabGuest(filePath: string): boolean {
  return /(^|[\\/])labs[\\/][^\\/]+[\\/](.+[\\/])?[^\\/]+\.g32$/i.test(filePath);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
