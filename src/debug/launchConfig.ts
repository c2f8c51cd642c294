// The `launch` (and `restart`) arguments of a hyperstep debug session, parsed
// once at the edge into a typed LaunchConfig. Every bad value raises a
// ConfigError whose message names the attribute and what was expected; the
// session shows it to the user. This interface must match the
// `configurationAttributes` schema the extension contributes in package.json.

import * as path from 'path';
import { PAGE_SIZE } from '../machine/isa';
import { ConfigError } from '../hypervisor/system';
import { KERNEL_SHADOWS, KernelShadows, PAGING_SETTINGS, PagingSetting, Virtualization, VIRTUALIZATIONS } from '../hypervisor/settings';
import { COST_PROFILE_NAMES, CostProfileName } from '../hypervisor/costs';
import { TimedInput } from '../machine/devices/keyboard';
import { MAX_MEMORY_BYTES } from '../machine/memory';
import { MAX_TLB_ENTRIES } from '../machine/tlb';

export interface LaunchConfig {
  /** Absolute path of a .g32 program or a machine-description .json. */
  program: string;
  /** Undefined: the machine description's setting, else `none`. */
  virtualization: Virtualization | undefined;
  paging: PagingSetting | undefined;
  kernelShadows: KernelShadows | undefined;
  tlbEntries: number | undefined;
  /** Hardware cost profile of estimated cycles (undefined: first-gen). */
  costModel: CostProfileName | undefined;
  /** Binary translation: runs of a block before it is translated (0 or 1: on first sight); undefined: the default. */
  translationThreshold: number | undefined;
  /** Guest RAM in bytes, for guests whose description does not say. */
  memory: number | undefined;
  /** Keyboard input: text at tick 0, or timed pieces. */
  inputs: TimedInput[];
  isStopOnEntry: boolean;
  maxInstructions: number | undefined;
  /** Snapshots kept for step back (0: replay from the start every time). */
  historySize: number;
  /** Run positions (instructions plus exceptions) between two snapshots. */
  snapshotInterval: number;
}

// A snapshot copies guest RAM and the hypervisor's frames (1-2 MiB by default),
// so with these defaults step back holds about 1-2 MiB per million
// instructions, at most DEFAULT_HISTORY_SIZE snapshots, and replays at most
// one interval (a few tens of milliseconds) to reach any earlier point.
export const DEFAULT_HISTORY_SIZE = 20;
export const DEFAULT_SNAPSHOT_INTERVAL = 1_000_000;

const KNOWN_ATTRIBUTES = new Set([
  'program',
  'virtualization',
  'paging',
  'kernelShadows',
  'tlbEntries',
  'costModel',
  'memory',
  'input',
  'stopOnEntry',
  'maxInstructions',
  'historySize',
  'snapshotInterval',
  'cwd',
  'translationThreshold',
  // Attributes VS Code and other clients add to every configuration.
  'type',
  'request',
  'name',
  '__sessionId',
  '__configurationTarget',
  'noDebug',
  '__restart',
  'presentation',
  'internalConsoleOptions',
  'preLaunchTask',
  'postDebugTask',
  'debugServer',
  'trace',
]);

function oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || !allowed.includes(value as T)) {
    throw new ConfigError(`launch attribute '${name}' must be one of ${allowed.map((a) => `'${a}'`).join(', ')}; got ${JSON.stringify(value)}`);
  }
  return value as T;
}

function wholeNumber(name: string, value: unknown, min: number, max: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`launch attribute '${name}' must be a whole number from ${min} to ${max}; got ${JSON.stringify(value)}`);
  }
  return value;
}

function parseInputs(value: unknown): TimedInput[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return [{ tick: 0, bytes: Buffer.from(value, 'utf8') }];
  if (!Array.isArray(value)) {
    throw new ConfigError('launch attribute \'input\' must be a string (typed at tick 0) or an array of { "tick": N, "text": "..." }');
  }
  return value.map((entry: unknown, i: number) => {
    const e = entry as Record<string, unknown>;
    if (typeof e !== 'object' || e === null || typeof e.text !== 'string') {
      throw new ConfigError(`launch attribute 'input[${i}]' must be { "tick": N, "text": "..." }`);
    }
    const tick = wholeNumber(`input[${i}].tick`, e.tick, 0, Number.MAX_SAFE_INTEGER) ?? 0;
    return { tick, bytes: Buffer.from(e.text, 'utf8') };
  });
}

/** Parses and checks launch arguments; throws ConfigError with a user-facing message. */
export function parseLaunchConfig(args: Record<string, unknown>, cwd: string = process.cwd()): LaunchConfig {
  for (const key of Object.keys(args)) {
    if (!KNOWN_ATTRIBUTES.has(key) && !key.startsWith('__')) {
      throw new ConfigError(
        `unknown launch attribute '${key}'; known: program, virtualization, paging, kernelShadows, tlbEntries, costModel, memory, input, stopOnEntry, maxInstructions, historySize, snapshotInterval, cwd, translationThreshold`,
      );
    }
  }
  if (typeof args.program !== 'string' || args.program.trim() === '') {
    throw new ConfigError("launch attribute 'program' is required: the path of a .g32 program or of a machine description (.json)");
  }
  const base = typeof args.cwd === 'string' ? args.cwd : cwd;
  const program = path.resolve(base, args.program);
  const lower = program.toLowerCase();
  if (!lower.endsWith('.g32') && !lower.endsWith('.json')) {
    throw new ConfigError(`launch attribute 'program' must name a .g32 program or a machine description .json; got ${JSON.stringify(args.program)}`);
  }
  const memory = wholeNumber('memory', args.memory, PAGE_SIZE, MAX_MEMORY_BYTES);
  if (memory !== undefined && memory % PAGE_SIZE !== 0) throw new ConfigError(`launch attribute 'memory' must be a multiple of ${PAGE_SIZE} (whole pages); got ${memory}`);
  if (args.stopOnEntry !== undefined && typeof args.stopOnEntry !== 'boolean') {
    throw new ConfigError(`launch attribute 'stopOnEntry' must be true or false; got ${JSON.stringify(args.stopOnEntry)}`);
  }
  return {
    program,
    virtualization: oneOf('virtualization', args.virtualization, VIRTUALIZATIONS),
    paging: oneOf('paging', args.paging, PAGING_SETTINGS),
    kernelShadows: oneOf('kernelShadows', args.kernelShadows, KERNEL_SHADOWS),
    tlbEntries: wholeNumber('tlbEntries', args.tlbEntries, 0, MAX_TLB_ENTRIES),
    costModel: oneOf('costModel', args.costModel, COST_PROFILE_NAMES),
    translationThreshold: wholeNumber('translationThreshold', args.translationThreshold, 0, 1_000_000_000),
    memory,
    inputs: parseInputs(args.input),
    isStopOnEntry: args.stopOnEntry === true,
    maxInstructions: wholeNumber('maxInstructions', args.maxInstructions, 1, Number.MAX_SAFE_INTEGER),
    historySize: wholeNumber('historySize', args.historySize, 0, 100_000) ?? DEFAULT_HISTORY_SIZE,
    snapshotInterval: wholeNumber('snapshotInterval', args.snapshotInterval, 1000, Number.MAX_SAFE_INTEGER) ?? DEFAULT_SNAPSHOT_INTERVAL,
  };
}
