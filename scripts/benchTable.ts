// The classic comparison of software and hardware virtualization (Adams &
// Agesen, "A comparison of software and hardware techniques for x86
// virtualization", ASPLOS 2006), on G32: rows are operations, columns are
// settings. Each cell is the cost of one operation, baseline-subtracted:
// estimated cycles from the cost model (deterministic) and wall time on this
// machine (median of a few runs, noisy for the cheap cells). A second table
// gives, per operation, the counters that explain the cost.

import { assembleText, Image } from '../src/asm';
import { CostCounters } from '../src/hypervisor/costs';
import { createSystem, VirtualSystem } from '../src/hypervisor/system';
import { MICRO_COLUMNS, MICRO_OPERATIONS, MicroColumn, MicroOperation, MicroSetting, microSource } from './microGuests';

function imageOf(text: string): Image {
  const result = assembleText(text);
  if (!result.image) throw new Error(result.diagnostics.map((d) => `${d.line}:${d.column} ${d.message}`).join('; '));
  return result.image;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

interface MicroRun { ms: number; cycles: number; counters: CostCounters | undefined; tlbMisses: number }

/** Runs an image once under a setting; only `run()` is timed (building the system is not). */
function runOnce(image: Image, setting: MicroSetting): { ms: number; system: VirtualSystem } {
  const system = createSystem({ ...setting, guests: [{ name: 'micro', image, inputs: [] }], maxInstructions: 1e9 });
  const start = process.hrtime.bigint();
  const result = system.run();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.reason !== 'halted') throw new Error(`${system.settingName}: ${result.detail}`);
  return { ms, system };
}

/** Median wall time over `runs` runs after a warm-up run; cycles and counters of the last run (they are deterministic). */
function measureRuns(image: Image, setting: MicroSetting, runs: number): MicroRun {
  let last = runOnce(image, setting);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    last = runOnce(image, setting);
    times.push(last.ms);
  }
  const system = last.system;
  return { ms: median(times), cycles: system.estimatedCycles(), counters: system.counters(), tlbMisses: system.cpu.tlb.misses };
}

export interface MicroCell {
  cyclesPerOp: number;
  usPerOp: number;
  /** Counter increments per operation (undefined on bare hardware). */
  perOp: Partial<Record<keyof CostCounters, number>> | undefined;
  tlbMissesPerOp: number;
}

/** What one operation costs under one column: (run with n) - (run with the baseline count), divided by the difference. */
export function measureCell(op: MicroOperation, column: MicroColumn, n = op.count, runs = 5): MicroCell {
  const withOps = imageOf(microSource(op, column, n));
  const without = imageOf(microSource(op, column, op.baseline));
  const probe = runOnce(withOps, column.setting);
  // Slow cells get fewer timed runs, to keep the whole table within seconds.
  const timedRuns = probe.ms > 150 ? 1 : probe.ms > 40 ? Math.min(runs, 3) : runs;
  const a = measureRuns(withOps, column.setting, timedRuns);
  const b = measureRuns(without, column.setting, timedRuns);
  const count = n - op.baseline;
  let perOp: MicroCell['perOp'];
  if (a.counters && b.counters) {
    perOp = {};
    for (const key of Object.keys(a.counters) as Array<keyof CostCounters>) perOp[key] = (a.counters[key] - b.counters[key]) / count;
  }
  return { cyclesPerOp: (a.cycles - b.cycles) / count, usPerOp: ((a.ms - b.ms) * 1000) / count, perOp, tlbMissesPerOp: (a.tlbMisses - b.tlbMisses) / count };
}

function num(value: number): string {
  if (Math.abs(value - Math.round(value)) < 0.005) return String(Math.round(value));
  return value.toFixed(Math.abs(value) < 10 ? 2 : 1);
}

/** The counters that explain a cell, per operation, the non-zero ones only. */
function explain(cell: MicroCell): string {
  const c = cell.perOp;
  if (!c) return `${num(cell.tlbMissesPerOp)} tlb`;
  const traps = (c.trapsProtectionFault ?? 0) + (c.trapsPageFault ?? 0) + (c.trapsSyscall ?? 0) + (c.trapsOther ?? 0);
  const parts: Array<[number, string]> = [
    [traps, 'trap'], [c.hypercalls ?? 0, 'hc'], [c.hwExits ?? 0, 'exit'], [c.hiddenPageFaults ?? 0, 'hpf'],
    [c.translations ?? 0, 'xl'], [c.shadowDrops ?? 0, 'drop'],
  ];
  const text = parts.filter(([v]) => Math.abs(v) >= 0.005).map(([v, name]) => `${num(v)} ${name}`).join(' ');
  return text || '-';
}

function row(cells: string[], widths: number[]): string {
  return cells.map((text, i) => (i === 0 ? text.padEnd(widths[i]) : text.padStart(widths[i]))).join('  ');
}

/** Prints the table: cycles / µs per operation, then the counters per operation. */
export function printVirtualizationTable(out: (line: string) => void): void {
  const started = Date.now();
  const failures: string[] = [];
  // A cell whose guest does not halt cleanly shows "fails" (a hypervisor bug: the guests halt on bare hardware).
  const results: Array<Array<MicroCell | undefined>> = MICRO_OPERATIONS.map((op) => MICRO_COLUMNS.map((column) => {
    try {
      return measureCell(op, column);
    } catch (error) {
      failures.push(`${op.name} under ${column.title}: ${(error as Error).message}`);
      return undefined;
    }
  }));
  const opWidth = Math.max(...MICRO_OPERATIONS.map((op) => op.name.length), 'operation'.length);
  const widths = [opWidth, ...MICRO_COLUMNS.map((c) => Math.max(c.title.length, 16))];
  const heading = row(['operation', ...MICRO_COLUMNS.map((c) => c.title)], widths);

  out('');
  out('## Software vs hardware virtualization, per operation (after Adams & Agesen, ASPLOS 2006)');
  out('Each cell: estimated cycles (cost model) / wall time in µs, per operation, baseline run subtracted.');
  out('paravirtual runs vmcall variants of the page-fault, page-table-write and context-switch guests.');
  out(heading);
  MICRO_OPERATIONS.forEach((op, i) => {
    out(row([op.name, ...results[i].map((cell) => (cell ? `${num(cell.cyclesPerOp)} / ${cell.usPerOp.toFixed(2)}` : 'fails'))], widths));
  });
  out('');
  out('What each operation costs, per operation: trap = traps into the hypervisor, hc = hypercalls, exit = hardware-assist exits,');
  out('hpf = hidden page faults, xl = blocks translated, drop = shadow drops (bare hardware: tlb = TLB misses).');
  out(heading);
  MICRO_OPERATIONS.forEach((op, i) => {
    out(row([op.name, ...results[i].map((cell) => (cell ? explain(cell) : 'fails'))], widths));
  });
  for (const failure of failures) out(`FAILED: ${failure}`);
  out(`(${MICRO_OPERATIONS.map((op) => `${op.name}: N = ${op.count}`).join('; ')}; measured in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
}
