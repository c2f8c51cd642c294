// The one helper every machine test goes through: assemble a tiny inline .g32
// snippet, run it on bare hardware (`virtualization: none`), and compare only
// the fields the test names. Keeping the comparison here means a change of the
// Machine API touches this file, not a hundred tests.

import * as assert from 'node:assert/strict';
import { AssembleResult, assembleText, formatDiagnostic } from '../../src/asm';
import { StopReason } from '../../src/machine/cpu';
import { Machine, MachineConfig, RunResult } from '../../src/machine/machine';

export type RegName = 'r0' | 'r1' | 'r2' | 'r3' | 'r4' | 'r5' | 'r6' | 'r7' | 'r8' | 'r9' | 'r10' | 'r11' | 'r12' | 'r13' | 'r14' | 'r15' | 'sp';

/** A TLB entry as the tests see it: page and frame bases, and the cached rights. */
export interface TlbView {
  page: number;
  frame: number;
  w: boolean;
  u: boolean;
  d: boolean;
}

/** An address or value: a number, or a label of the snippet with an optional offset (`'loop'`, `'data+8'`). */
export type Where = number | string;

export interface Expected {
  stop?: StopReason;
  /** Register values, compared unsigned. */
  regs?: Partial<Record<RegName, Where>>;
  pc?: Where;
  flags?: number;
  mode?: 'kernel' | 'user';
  cr3?: number;
  evt?: number;
  ksp?: number;
  /** Everything printed on the console, as latin1 text. */
  console?: string;
  /** 32-bit words in physical memory, keyed by address or label; compared unsigned. */
  words?: Record<string, Where>;
  /** Bytes in physical memory, keyed by address or label. */
  bytes?: Record<string, number>;
  ticks?: number;
  retired?: number;
  idleTicks?: number;
  /** The exact TLB contents, in any order (compared sorted by page). */
  tlb?: TlbView[];
}

export interface CheckConfig extends Omit<MachineConfig, 'inputs'> {
  /** Keyboard input at tick 0 (`--input`). */
  input?: string;
  /** More input: [tick, text] pairs (`--input-at`). */
  inputAt?: Array<[number, string]>;
}

export interface CheckResult {
  machine: Machine;
  run: RunResult;
  assembled: AssembleResult;
  /** Address of a label of the snippet. */
  label(name: string): number;
}

/** Assembles `source`, failing the test with the diagnostics when it does not assemble. */
export function assembleOrFail(source: string): AssembleResult {
  const assembled = assembleText(source, 'snippet.g32');
  if (!assembled.image) {
    assert.fail(`the snippet does not assemble:\n${assembled.diagnostics.map(formatDiagnostic).join('\n')}\n--- source ---\n${source}`);
  }
  return assembled;
}

/** Assembles and loads a snippet without running it. */
export function load(source: string, config: CheckConfig = {}): Omit<CheckResult, 'run'> {
  const assembled = assembleOrFail(source);
  const inputs = [
    ...(config.input !== undefined ? [{ tick: 0, bytes: Buffer.from(config.input, 'latin1') }] : []),
    ...(config.inputAt ?? []).map(([tick, text]) => ({ tick, bytes: Buffer.from(text, 'latin1') })),
  ];
  const { input: _input, inputAt: _inputAt, ...machineConfig } = config;
  const machine = new Machine({ ...machineConfig, inputs });
  machine.load(assembled.image!);
  const label = (name: string): number => {
    const symbol = assembled.symbols.find((s) => s.name === name);
    assert.ok(symbol, `no label ${name} in the snippet`);
    return symbol.value >>> 0;
  };
  return { machine, assembled, label };
}

/** Assembles, runs to a stop, and compares the expected fields. Returns the machine for further checks. */
export function check(source: string, expected: Expected, config: CheckConfig = {}): CheckResult {
  const loaded = load(source, config);
  const run = loaded.machine.run();
  const result: CheckResult = { ...loaded, run };
  compare(result, expected);
  return result;
}

/** Compares the machine's state now with the expected fields (for tests that run in slices). */
export function compare(result: CheckResult, expected: Expected): void {
  const { machine, label } = result;
  const cpu = machine.cpu;
  const where = (key: Where): number => resolve(key, label);
  const actual: Expected = {};
  const wanted: Expected = {};
  if (expected.stop !== undefined) {
    actual.stop = result.run.reason;
    wanted.stop = expected.stop;
  }
  if (expected.regs) {
    actual.regs = {};
    wanted.regs = {};
    for (const [name, value] of Object.entries(expected.regs) as Array<[RegName, number]>) {
      const index = name === 'sp' ? 15 : Number(name.slice(1));
      actual.regs[name] = cpu.regs[index] >>> 0;
      wanted.regs[name] = where(value);
    }
  }
  if (expected.pc !== undefined) {
    actual.pc = cpu.pc >>> 0;
    wanted.pc = where(expected.pc);
  }
  if (expected.flags !== undefined) {
    actual.flags = cpu.flags >>> 0;
    wanted.flags = expected.flags >>> 0;
  }
  if (expected.mode !== undefined) {
    actual.mode = cpu.mode === 1 ? 'user' : 'kernel';
    wanted.mode = expected.mode;
  }
  if (expected.cr3 !== undefined) {
    actual.cr3 = cpu.cr3 >>> 0;
    wanted.cr3 = expected.cr3 >>> 0;
  }
  if (expected.evt !== undefined) {
    actual.evt = cpu.evt >>> 0;
    wanted.evt = expected.evt >>> 0;
  }
  if (expected.ksp !== undefined) {
    actual.ksp = cpu.ksp >>> 0;
    wanted.ksp = expected.ksp >>> 0;
  }
  if (expected.console !== undefined) {
    actual.console = machine.devices.console.outputText;
    wanted.console = expected.console;
  }
  if (expected.words) {
    actual.words = {};
    wanted.words = {};
    for (const [key, value] of Object.entries(expected.words)) {
      const address = where(key);
      actual.words[key] = machine.memory.view.getUint32(address, true);
      wanted.words[key] = where(value);
    }
  }
  if (expected.bytes) {
    actual.bytes = {};
    wanted.bytes = {};
    for (const [key, value] of Object.entries(expected.bytes)) {
      actual.bytes[key] = machine.memory.bytes[where(key)];
      wanted.bytes[key] = value & 0xff;
    }
  }
  if (expected.ticks !== undefined) {
    actual.ticks = cpu.ticks;
    wanted.ticks = expected.ticks;
  }
  if (expected.retired !== undefined) {
    actual.retired = cpu.retired;
    wanted.retired = expected.retired;
  }
  if (expected.idleTicks !== undefined) {
    actual.idleTicks = cpu.idleTicks;
    wanted.idleTicks = expected.idleTicks;
  }
  if (expected.tlb !== undefined) {
    actual.tlb = tlbContents(machine);
    wanted.tlb = [...expected.tlb].map((e) => ({ ...e, page: e.page >>> 0, frame: e.frame >>> 0 })).sort((x, y) => x.page - y.page);
  }
  assert.deepStrictEqual(actual, wanted, `machine stopped: ${result.run.reason} (${result.run.detail}) at pc 0x${(cpu.pc >>> 0).toString(16)}`);
}

/** A number, a numeric string, or `label`, `label+N`, `label-N`. */
export function resolve(key: Where, label: (name: string) => number): number {
  if (typeof key === 'number') return key >>> 0;
  const match = /^\s*([A-Za-z_.][\w.]*)?\s*(?:([+-])?\s*(0x[0-9a-f]+|\d+))?\s*$/i.exec(key);
  assert.ok(match && (match[1] !== undefined || match[3] !== undefined), `cannot resolve '${key}'`);
  const base = match[1] !== undefined ? label(match[1]) : 0;
  const offset = match[3] !== undefined ? Number(match[3]) : 0;
  return (match[2] === '-' ? base - offset : base + offset) >>> 0;
}

/** The valid TLB entries, sorted by page. */
export function tlbContents(machine: Machine): TlbView[] {
  const tlb = machine.cpu.tlb;
  const entries: TlbView[] = [];
  for (let i = 0; i < tlb.nEntries; i++) {
    if (tlb.vpn[i] === -1) continue;
    const bits = tlb.bits[i];
    entries.push({ page: (tlb.vpn[i] << 12) >>> 0, frame: tlb.frame[i] >>> 0, w: (bits & 2) !== 0, u: (bits & 4) !== 0, d: (bits & 64) !== 0 });
  }
  return entries.sort((x, y) => x.page - y.page);
}

/** Flag values, for readable expectations. */
export const CF = 1,
  ZF = 2,
  SF = 4,
  OF = 8,
  IF = 0x200;

/**
 * A 256-word exception vector table labelled `vectors`: entry v holds the label
 * `handlers[v]`, or `otherwise` for the vectors not named. Snippets put it
 * after their code and load it with `mov r1, vectors` / `mov evt, r1`.
 */
export function vectorTable(handlers: Record<number, string>, otherwise: string): string {
  const entries = Array.from({ length: 256 }, (_, v) => handlers[v] ?? otherwise);
  const lines: string[] = [];
  for (let v = 0; v < 256; v += 16) lines.push(`        .word ${entries.slice(v, v + 16).join(', ')}`);
  return `\n        .align 4\nvectors:\n${lines.join('\n')}\n`;
}
