// The classic comparison of software and hardware virtualization (Adams &
// Agesen, "A comparison of software and hardware techniques for x86
// virtualization", ASPLOS 2006), on G32: rows are operations, columns are
// settings. Each cell is the cost of one operation, baseline-subtracted:
// estimated cycles from the cost model (deterministic) and wall time on this
// machine (median of a few runs, noisy for the cheap cells). A second table
// gives, per operation, the counters that explain the cost.

import { assembleText, Image } from '../src/asm';
import { COST_PROFILE_NAMES, COST_PROFILES, CostCounters, CostProfileName } from '../src/hypervisor/costs';
import { createSystem, VirtualSystem } from '../src/hypervisor/system';
import { MICRO_COLUMNS, MICRO_OPERATIONS, MicroColumn, MicroOperation, MicroSetting, microSource } from './microGuests';
import { median } from './stats';

function imageOf(text: string): Image {
  const result = assembleText(text);
  if (!result.image) throw new Error(result.diagnostics.map((d) => `${d.line}:${d.column} ${d.message}`).join('; '));
  return result.image;
}

/** Runs an image once under a setting; only `run()` is timed (building the system is not). */
function runOnce(image: Image, setting: MicroSetting): { ms: number; system: VirtualSystem } {
  const system = createSystem({ ...setting, guests: [{ name: 'micro', image, inputs: [] }], maxInstructions: 1e9 });
  const start = process.hrtime.bigint();
  const result = system.run();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.reason !== 'halted') throw new Error(`${system.settingName}: ${result.detail}`);
  return { ms, system };
}

export interface MicroCell {
  cyclesPerOp: number;
  /** Estimated cycles per operation under each hardware profile. */
  cyclesByProfile: Record<CostProfileName, number>;
  usPerOp: number;
  /** Counter increments per operation (undefined on bare hardware). */
  perOp: Partial<Record<keyof CostCounters, number>> | undefined;
  tlbMissesPerOp: number;
}

/** One cell being measured: the guest with n operations and with the baseline count. */
class CellMeasurement {
  readonly withOps: Image;
  readonly without: Image;
  readonly times: number[] = [];
  readonly baseTimes: number[] = [];
  private cell: Omit<MicroCell, 'usPerOp'> | undefined;

  constructor(
    readonly op: MicroOperation,
    readonly column: MicroColumn,
    readonly n: number,
  ) {
    this.withOps = imageOf(microSource(op, column, n));
    this.without = imageOf(microSource(op, column, op.baseline));
  }

  /** One run of each; the first call also records the (deterministic) cycles and counters. */
  runPair(isTimed: boolean): void {
    const a = runOnce(this.withOps, this.column.setting);
    const b = runOnce(this.without, this.column.setting);
    if (isTimed) {
      this.times.push(a.ms);
      this.baseTimes.push(b.ms);
    }
    if (this.cell) return;
    const count = this.n - this.op.baseline;
    const ca = a.system.counters();
    const cb = b.system.counters();
    let perOp: MicroCell['perOp'];
    if (ca && cb) {
      perOp = {};
      for (const key of Object.keys(ca) as Array<keyof CostCounters>) perOp[key] = (ca[key] - cb[key]) / count;
    }
    const cyclesByProfile = {} as Record<CostProfileName, number>;
    for (const profile of COST_PROFILE_NAMES) cyclesByProfile[profile] = (a.system.estimatedCycles(COST_PROFILES[profile]) - b.system.estimatedCycles(COST_PROFILES[profile])) / count;
    this.cell = {
      cyclesByProfile,
      cyclesPerOp: (a.system.estimatedCycles() - b.system.estimatedCycles()) / count,
      perOp,
      tlbMissesPerOp: (a.system.cpu.tlb.misses - b.system.cpu.tlb.misses) / count,
    };
  }

  result(): MicroCell {
    if (!this.cell) throw new Error('not measured');
    return { ...this.cell, usPerOp: ((median(this.times) - median(this.baseTimes)) * 1000) / (this.n - this.op.baseline) };
  }
}

/** What one operation costs under one column: (run with n) - (run with the baseline count), divided by the difference. */
export function measureCell(op: MicroOperation, column: MicroColumn, n = op.count, runs = 3): MicroCell {
  const cell = new CellMeasurement(op, column, n);
  cell.runPair(false);
  for (let i = 0; i < runs; i++) cell.runPair(true);
  return cell.result();
}

/** Timed rounds over every cell; a cell slower than this (ms per run) stops after SLOW_RUNS rounds. */
const ROUNDS = 5;
const SLOW_MS = 30;
const SLOW_RUNS = 3;

function num(value: number): string {
  if (Math.abs(value - Math.round(value)) < 0.005) return String(Math.round(value));
  return value.toFixed(Math.abs(value) < 10 ? 2 : 1);
}

/** The counters that explain a cell, per operation, the non-zero ones only. */
function explain(cell: MicroCell): string {
  const c = cell.perOp;
  if (!c) return `${num(cell.tlbMissesPerOp)} tlb`; // bare hardware has no hypervisor counters
  const traps = (c.trapsProtectionFault ?? 0) + (c.trapsPageFault ?? 0) + (c.trapsSyscall ?? 0) + (c.trapsOther ?? 0);
  const parts: Array<[number, string]> = [
    [traps, 'trap'],
    [c.hypercalls ?? 0, 'hc'],
    [c.hwExits ?? 0, 'exit'],
    [c.hiddenPageFaults ?? 0, 'hpf'],
    [c.shadowDrops ?? 0, 'drop'],
    [c.translations ?? 0, 'xl'],
    [(c.privilegedEmulated ?? 0) + (c.ioEmulated ?? 0) + (c.writeProtectEmulations ?? 0), 'emu'],
    [(c.reflections ?? 0) + (c.virtualInterrupts ?? 0), 'refl'],
    [c.tlbMisses ?? 0, 'tlb'],
    [c.walkReferences ?? 0, 'w1D'],
    [c.nestedWalkReferences ?? 0, 'w2D'],
  ];
  const text = parts
    .filter(([v]) => Math.abs(v) >= 0.005)
    .map(([v, name]) => `${num(v)} ${name}`)
    .join(' ');
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
  const cells: Array<Array<CellMeasurement | undefined>> = MICRO_OPERATIONS.map((op) =>
    MICRO_COLUMNS.map((column) => {
      const cell = new CellMeasurement(op, column, op.count);
      try {
        cell.runPair(false); // warm-up, and the cycles and counters
        return cell;
      } catch (error) {
        failures.push(`${op.name} under ${column.title}: ${(error as Error).message}`);
        return undefined;
      }
    }),
  );
  // Round-robin over the cells, so that load on the machine and the JIT's warming spread over all of them.
  for (let round = 0; round < ROUNDS; round++) {
    for (const cell of cells.flat()) {
      if (!cell || (cell.times.length >= SLOW_RUNS && median(cell.times) > SLOW_MS)) continue;
      cell.runPair(true);
    }
  }
  const results = cells.map((line) => line.map((cell) => cell?.result()));
  const titles = ['operation', ...MICRO_COLUMNS.map((c) => c.title)];
  const costRows = MICRO_OPERATIONS.map((op, i) => [op.name, ...results[i].map((cell) => (cell ? `${num(cell.cyclesPerOp)} / ${cell.usPerOp.toFixed(2)}` : 'fails'))]);
  const whyRows = MICRO_OPERATIONS.map((op, i) => [op.name, ...results[i].map((cell) => (cell ? explain(cell) : 'fails'))]);
  const widthsOf = (rows: string[][]) => titles.map((title, j) => Math.max(title.length, ...rows.map((r) => r[j].length)));

  out('');
  out('## Software vs hardware virtualization, per operation (after Adams & Agesen, ASPLOS 2006)');
  out('Each cell: estimated cycles (cost model) / wall time in µs, per operation, baseline run subtracted.');
  out('paravirtual runs vmcall variants of the page-fault, page-table-write and context-switch guests.');
  for (const r of [titles, ...costRows]) out(row(r, widthsOf(costRows)));
  out('');
  out(microProfilesTable(results.map((line) => line.map((cell) => cell?.cyclesByProfile))));
  out('');
  out('Why, per operation: trap = traps into the hypervisor, hc = hypercalls, exit = hardware-assist exits, hpf = hidden page faults,');
  out('drop = shadow drops, xl = blocks translated, emu = instructions emulated, refl = exceptions reflected,');
  out('tlb = TLB misses, w1D = page-walk references (one-dimensional), w2D = nested walk references (two-dimensional).');
  for (const r of [titles, ...whyRows]) out(row(r, widthsOf(whyRows)));
  for (const failure of failures) out(`FAILED: ${failure}`);
  out(`(${MICRO_OPERATIONS.map((op) => `${op.name}: N = ${op.count}`).join('; ')}; measured in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

/**
 * Estimated cycles per operation under both hardware profiles, side by side
 * (deterministic: the docs quote it through scripts/genDocs.ts).
 */
export function microProfilesTable(cells: Array<Array<Record<CostProfileName, number> | undefined>>): string {
  const titles = ['operation', ...MICRO_COLUMNS.map((c) => c.title)];
  const rows = MICRO_OPERATIONS.flatMap((op, i) => COST_PROFILE_NAMES.map((profile) => [`${op.name} (${profile})`, ...cells[i].map((cell) => (cell ? num(cell[profile]) : 'fails'))]));
  const widths = titles.map((title, j) => Math.max(title.length, ...rows.map((r) => r[j].length)));
  return ['Estimated cycles per operation under the two cost profiles (first-gen: 2006 hardware, the default; modern).', ...[titles, ...rows].map((r) => row(r, widths))].join('\n');
}

let profileCells: Array<Array<Record<CostProfileName, number>>> | undefined;

/** Cycles per operation under each profile, [operation][column], without timing: one pair of runs per cell. */
export function microProfilesCells(): Array<Array<Record<CostProfileName, number>>> {
  profileCells ??= MICRO_OPERATIONS.map((op) =>
    MICRO_COLUMNS.map((column) => {
      const cell = new CellMeasurement(op, column, op.count);
      cell.runPair(false);
      return cell.result().cyclesByProfile;
    }),
  );
  return profileCells;
}

export function microProfilesTableText(): string {
  return microProfilesTable(microProfilesCells());
}

/** One cell of that table as printed, e.g. ('first-gen', 'guest page fault', 'binary-transl.'). */
export function microProfileCell(profile: CostProfileName, operation: string, column: string): string {
  const i = MICRO_OPERATIONS.findIndex((op) => op.name === operation);
  const j = MICRO_COLUMNS.findIndex((c) => c.title === column);
  if (i < 0 || j < 0) throw new Error(`no micro-benchmark cell '${operation}' / '${column}'`);
  return num(microProfilesCells()[i][j][profile]);
}
