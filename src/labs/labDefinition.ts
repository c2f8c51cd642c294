// A lab's machine-readable definition (`lab.json` in a lab folder): which guest
// the student works on, the settings each run uses, what the student's program
// must print and count, and which measured number each answer is checked
// against. Parsing turns every mistake in the file into a LabError naming the
// field, so a teacher writing a lab gets a precise message.

import { KERNEL_SHADOWS, PAGING_SETTINGS, SystemOptions, Virtualization, VIRTUALIZATIONS } from '../hypervisor/system';

/** Selects one hypervisor event: where a measuring window starts or ends. */
export interface EventMatch {
  /** A hypervisor event kind (the exception filter ids). */
  kind: string;
  /** The address the event is about (a cr3-load's new cr3, a fault's address). */
  address?: number;
  /** The disassembled instruction, exactly (e.g. `iret`). */
  instruction?: string;
  /** Guest register values at the event (e.g. `{ "r0": 3 }` for the `read` system call). */
  registers?: Record<string, number>;
  /** The guest is in pretend user mode (true) or pretend kernel mode (false) when the event is seen. */
  isPretendUser?: boolean;
  /** Only for `to`: the guest's cr3 is the one it had when the window opened (back in the same process). */
  isSameAddressSpace?: boolean;
  /** Only for `from`: the window opens at the Nth matching event (1 = the first). */
  occurrence?: number;
  /** Only for `to`: at least this many pretend-mode changes happened since the window opened. */
  minModeSwitches?: number;
}

export interface LabRun {
  /** How the run is described to the student, e.g. "trap-and-emulate with on-demand shadows". */
  label: string;
  settings: Pick<SystemOptions, 'virtualization' | 'paging' | 'kernelShadows'>;
  inputs: Array<{ tick: number; text: string }>;
  maxInstructions: number;
  /** Counters are measured between these two events instead of over the whole run (no `from`: from the start; no `to`: to the end). */
  window?: { from?: EventMatch; to?: EventMatch; label: string };
}

export type Comparison = { equals: number } | { atLeast?: number; atMost?: number };

export interface ProgramExpectation {
  run: string;
  /** The whole console output, exactly. */
  console?: string;
  /** How the run must end: halted, triple-fault, bus-error, instruction-limit, exception-loop. */
  stop?: string;
  /** A measure name (see measure.ts) and the bound it must meet. */
  measure?: string;
  /** What the measure counts, in words ("privileged instructions emulated"). */
  what?: string;
  comparison?: Comparison;
  hint?: string;
}

export interface LabQuestion {
  key: string;
  /** The question as the README asks it. */
  text: string;
  /** Which guest the tool measures (relative to the lab folder); the lab's reference guest by default. */
  guest: string;
  run: string;
  measure: string;
  /** The predicted quantity in words: "you predicted 3 {what}". */
  what: string;
  /** How far from the measured number an answer may be (0: exact). */
  tolerance: number;
  hint?: string;
}

export interface LabDefinition {
  /** Two digits, from the folder name: "04". */
  number: string;
  title: string;
  /** The student's guest, relative to the lab folder. */
  guest: string;
  /** The guest the questions are measured on by default (relative to the lab folder). */
  reference: string;
  answers: string;
  runs: Record<string, LabRun>;
  program: ProgramExpectation[];
  questions: LabQuestion[];
}

export class LabError extends Error {}

const STOPS = ['halted', 'triple-fault', 'bus-error', 'instruction-limit', 'exception-loop'];

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(object: Json, key: string, where: string, fallback?: string): string {
  const value = object[key];
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'string' || value === '') throw new LabError(`${where}: "${key}" must be a non-empty string`);
  return value;
}

function count(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new LabError(`${where} must be a whole number ≥ 0`);
  return value;
}

function parseMatch(value: unknown, where: string): EventMatch {
  if (!isObject(value)) throw new LabError(`${where} must be an object`);
  const registers = value.registers === undefined ? undefined : value.registers;
  if (registers !== undefined && (!isObject(registers) || Object.entries(registers).some(([name, v]) => !/^r([0-9]|1[0-4])$/.test(name) || typeof v !== 'number'))) {
    throw new LabError(`${where}.registers must map r0..r14 to numbers`);
  }
  return {
    kind: text(value, 'kind', where),
    address: value.address === undefined ? undefined : count(value.address, `${where}.address`),
    instruction: value.instruction === undefined ? undefined : text(value, 'instruction', where),
    registers: registers as Record<string, number> | undefined,
    isPretendUser: value.isPretendUser === undefined ? undefined : value.isPretendUser === true,
    isSameAddressSpace: value.isSameAddressSpace === true,
    occurrence: value.occurrence === undefined ? undefined : count(value.occurrence, `${where}.occurrence`),
    minModeSwitches: value.minModeSwitches === undefined ? undefined : count(value.minModeSwitches, `${where}.minModeSwitches`),
  };
}

function parseRun(name: string, value: unknown): LabRun {
  const where = `runs.${name}`;
  if (!isObject(value)) throw new LabError(`${where} must be an object`);
  const virtualization = text(value, 'virtualization', where) as Virtualization;
  if (!VIRTUALIZATIONS.includes(virtualization)) throw new LabError(`${where}.virtualization must be one of ${VIRTUALIZATIONS.join(', ')}`);
  const paging = value.paging as SystemOptions['paging'];
  if (paging !== undefined && !PAGING_SETTINGS.includes(paging)) throw new LabError(`${where}.paging must be one of ${PAGING_SETTINGS.join(', ')}`);
  const kernelShadows = value.kernelShadows as SystemOptions['kernelShadows'];
  if (kernelShadows !== undefined && !KERNEL_SHADOWS.includes(kernelShadows)) throw new LabError(`${where}.kernelShadows must be one of ${KERNEL_SHADOWS.join(', ')}`);
  const inputs = value.inputAt === undefined ? [] : value.inputAt;
  if (!Array.isArray(inputs) || inputs.some((i) => !isObject(i) || typeof i.text !== 'string')) throw new LabError(`${where}.inputAt must be a list of { "tick": N, "text": "..." }`);
  let window: LabRun['window'];
  if (value.window !== undefined) {
    if (!isObject(value.window)) throw new LabError(`${where}.window must be an object`);
    window = {
      from: value.window.from === undefined ? undefined : parseMatch(value.window.from, `${where}.window.from`),
      to: value.window.to === undefined ? undefined : parseMatch(value.window.to, `${where}.window.to`),
      label: text(value.window, 'label', `${where}.window`),
    };
  }
  return {
    label: text(value, 'label', where),
    settings: { virtualization, paging, kernelShadows },
    inputs: (inputs as Json[]).map((i, k) => ({ tick: count(i.tick, `${where}.inputAt[${k}].tick`), text: i.text as string })),
    maxInstructions: value.maxInstructions === undefined ? 1_000_000 : count(value.maxInstructions, `${where}.maxInstructions`),
    window,
  };
}

function parseComparison(value: Json, where: string): Comparison | undefined {
  if (value.equals !== undefined) return { equals: count(value.equals, `${where}.equals`) };
  if (value.atLeast === undefined && value.atMost === undefined) return undefined;
  return {
    atLeast: value.atLeast === undefined ? undefined : count(value.atLeast, `${where}.atLeast`),
    atMost: value.atMost === undefined ? undefined : count(value.atMost, `${where}.atMost`),
  };
}

/** `folderName` is the lab folder's own name ("04-shadow-on-demand"): the lab number comes from it. */
export function parseLabDefinition(source: string, folderName: string): LabDefinition {
  let json: unknown;
  try {
    json = JSON.parse(source);
  } catch (e) {
    throw new LabError(`lab.json is not valid JSON: ${(e as Error).message}`);
  }
  if (!isObject(json)) throw new LabError('lab.json must hold an object');
  const runsJson = json.runs;
  if (!isObject(runsJson) || Object.keys(runsJson).length === 0) throw new LabError('lab.json: "runs" must name at least one run');
  const runs: Record<string, LabRun> = {};
  for (const [name, value] of Object.entries(runsJson)) runs[name] = parseRun(name, value);
  const runName = (value: Json, where: string): string => {
    const name = text(value, 'run', where);
    if (!(name in runs)) throw new LabError(`${where}: run "${name}" is not in "runs" (${Object.keys(runs).join(', ')})`);
    return name;
  };
  const guest = text(json, 'guest', 'lab.json');
  const reference = text(json, 'reference', 'lab.json', guest);
  const program = (Array.isArray(json.program) ? json.program : []).map((value: unknown, index: number): ProgramExpectation => {
    const where = `program[${index}]`;
    if (!isObject(value)) throw new LabError(`${where} must be an object`);
    const stop = value.stop === undefined ? undefined : text(value, 'stop', where);
    if (stop !== undefined && !STOPS.includes(stop)) throw new LabError(`${where}.stop must be one of ${STOPS.join(', ')}`);
    const comparison = parseComparison(value, where);
    const measure = value.measure === undefined ? undefined : text(value, 'measure', where);
    if ((measure === undefined) !== (comparison === undefined)) throw new LabError(`${where}: "measure" needs "equals", "atLeast" or "atMost" (and they need "measure")`);
    if (value.console !== undefined && typeof value.console !== 'string') throw new LabError(`${where}.console must be a string`);
    return {
      run: runName(value, where),
      console: value.console,
      stop,
      measure,
      comparison,
      what: measure === undefined ? undefined : text(value, 'what', where),
      hint: value.hint === undefined ? undefined : text(value, 'hint', where),
    };
  });
  const keys = new Set<string>();
  const questions = (Array.isArray(json.questions) ? json.questions : []).map((value: unknown, index: number): LabQuestion => {
    const where = `questions[${index}]`;
    if (!isObject(value)) throw new LabError(`${where} must be an object`);
    const key = text(value, 'key', where);
    if (!/^[a-z][a-z0-9_]*$/.test(key)) throw new LabError(`${where}.key must be lower-case letters, digits and _`);
    if (keys.has(key)) throw new LabError(`${where}: key "${key}" is used twice`);
    keys.add(key);
    return {
      key,
      text: text(value, 'text', where),
      guest: text(value, 'guest', where, reference),
      run: runName(value, where),
      measure: text(value, 'measure', where),
      what: text(value, 'what', where),
      tolerance: value.tolerance === undefined ? 0 : count(value.tolerance, `${where}.tolerance`),
      hint: value.hint === undefined ? undefined : text(value, 'hint', where),
    };
  });
  if (program.length === 0 && questions.length === 0) throw new LabError('lab.json has neither "program" expectations nor "questions": nothing to check');
  return {
    number: /^(\d+)/.exec(folderName)?.[1] ?? folderName,
    title: text(json, 'title', 'lab.json'),
    guest,
    reference,
    answers: text(json, 'answers', 'lab.json', 'answers.txt'),
    runs,
    program,
    questions,
  };
}
