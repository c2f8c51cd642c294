// The rows of `npm run demo`: the example OS (and its paravirtualized twin) on
// bare hardware and under the virtualization settings, in an order where each
// row changes exactly one thing against the row above it, so that every
// difference between neighbours has one cause. Counters and estimated cycles
// are deterministic; wall time is measured by the caller (scripts/demo.ts).
// The docs quote this table through scripts/genDocs.ts.

import * as fs from 'fs';
import * as path from 'path';
import { assemble, Image } from '../src/asm';
import { COST_PROFILES } from '../src/hypervisor/costs';
import { createSystem, SettingChoice, VirtualSystem } from '../src/hypervisor/system';

/** The repository: the bundle runs from dist/, the compiled script from out/scripts/. */
function findRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'examples', 'os', 'kernel.g32'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`examples/os not found above ${__dirname}`);
  }
}
export const ROOT = findRoot();
export const DEMO_INPUT = { tick: 2000, bytes: Buffer.from('k') };

export type DemoGuest = 'os' | 'os-pv';

export interface DemoRun {
  guest: DemoGuest;
  setting: SettingChoice;
  /** What differs from the row above ('' for the first row). */
  change: string;
}

const TE = 'trap-and-emulate' as const;

/** The chain of runs: each differs from the one above in one setting (or in the guest). */
export const DEMO_RUNS: readonly DemoRun[] = [
  { guest: 'os', setting: { virtualization: 'none' }, change: '' },
  { guest: 'os', setting: { virtualization: TE, paging: 'shadow-on-demand', kernelShadows: 'separate' }, change: 'virtualization' },
  { guest: 'os', setting: { virtualization: TE, paging: 'shadow-on-demand', kernelShadows: 'flush-on-switch' }, change: 'kernel shadows' },
  { guest: 'os', setting: { virtualization: TE, paging: 'shadow-proactive', kernelShadows: 'flush-on-switch' }, change: 'paging' },
  { guest: 'os', setting: { virtualization: TE, paging: 'shadow-proactive', kernelShadows: 'separate' }, change: 'kernel shadows' },
  { guest: 'os-pv', setting: { virtualization: TE, paging: 'shadow-proactive', kernelShadows: 'separate' }, change: 'guest' },
  { guest: 'os-pv', setting: { virtualization: 'paravirtual', paging: 'shadow-proactive', kernelShadows: 'separate' }, change: 'virtualization' },
  { guest: 'os', setting: { virtualization: 'paravirtual', paging: 'shadow-proactive', kernelShadows: 'separate' }, change: 'guest' },
  { guest: 'os', setting: { virtualization: 'binary-translation', paging: 'shadow-proactive', kernelShadows: 'separate' }, change: 'virtualization' },
  { guest: 'os', setting: { virtualization: 'binary-translation', paging: 'shadow-on-demand', kernelShadows: 'separate' }, change: 'paging' },
  { guest: 'os', setting: { virtualization: 'hardware-assist', paging: 'shadow-on-demand' }, change: 'virtualization' },
  { guest: 'os', setting: { virtualization: 'hardware-assist', paging: 'shadow-proactive' }, change: 'paging' },
  { guest: 'os', setting: { virtualization: 'hardware-assist', paging: 'nested' }, change: 'paging' },
];

export const DEMO_HEADERS = [
  'instr',
  'traps',
  'emul',
  'I/O',
  'refl',
  'hidPF',
  'drops',
  'PTwr',
  'guestCR3',
  'realCR3',
  'TLBmiss',
  'walk1D',
  'walk2D',
  'hcall',
  'xlate',
  'exits',
  'cycles:first-gen',
  'cycles:modern',
] as const;

export const DEMO_LEGEND = [
  'instr: instructions retired; traps: into the hypervisor; emul: privileged instructions emulated; I/O: port and console accesses emulated;',
  'refl: exceptions and interrupts reflected; hidPF: hidden page faults; drops: shadows dropped; PTwr: page-table (or code-page) writes emulated;',
  "guestCR3: the guest kernel's own cr3 loads (mov cr3); realCR3: loads of the real CPU's cr3 (the hypervisor switching shadows; on bare hardware the same as guestCR3);",
  'TLBmiss: real TLB misses; walk1D: page-table entries read by one-dimensional walks (bare hardware, shadows); walk2D: memory references of two-dimensional (nested) walks;',
  'hcall: hypercalls; xlate: blocks translated; exits: hardware-assist exits;',
  'cycles: estimated cycles under the first-gen (2006 hardware, the default) and modern cost profiles of docs/hypervisor.md, "Costs".',
];

function readFile(file: string): string | undefined {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
}

const images = new Map<DemoGuest, Image>();

export function demoImage(guest: DemoGuest): Image {
  let image = images.get(guest);
  if (!image) {
    const file = path.join(ROOT, 'examples', guest, 'kernel.g32');
    const assembled = assemble(file, { readFile });
    if (!assembled.image) throw new Error(`${file}: ${assembled.diagnostics.map((d) => `${d.line}:${d.column} ${d.message}`).join('; ')}`);
    image = assembled.image;
    images.set(guest, image);
  }
  return image;
}

export function runName(run: DemoRun): string {
  const s = run.setting;
  const setting = s.virtualization === 'none' ? 'none' : s.virtualization === 'hardware-assist' ? `${s.virtualization} / ${s.paging}` : `${s.virtualization} / ${s.paging} / ${s.kernelShadows}`;
  return `${setting}, ${run.guest}`;
}

export function systemOf(run: DemoRun): VirtualSystem {
  return createSystem({ ...run.setting, guests: [{ name: run.guest, image: demoImage(run.guest), inputs: [DEMO_INPUT] }] });
}

/** The deterministic cells of a finished run, in DEMO_HEADERS order. */
export function demoCells(system: VirtualSystem): number[] {
  const c = system.counters();
  const cpu = system.cpu;
  const traps = c ? c.trapsProtectionFault + c.trapsPageFault + c.trapsSyscall + c.trapsOther : 0;
  return [
    system.guest(0).retired,
    traps,
    c?.privilegedEmulated ?? 0,
    c?.ioEmulated ?? 0,
    c ? c.reflections + c.virtualInterrupts : 0,
    c?.hiddenPageFaults ?? 0,
    c?.shadowDrops ?? 0,
    c?.writeProtectEmulations ?? 0,
    c ? c.guestCr3Loads : cpu.cr3Loads,
    c ? c.realCr3Loads : cpu.cr3Loads,
    cpu.tlb.misses,
    cpu.tlb.walkReferences,
    c?.nestedWalkReferences ?? 0,
    c?.hypercalls ?? 0,
    c?.translations ?? 0,
    c?.hwExits ?? 0,
    system.estimatedCycles(COST_PROFILES['first-gen']),
    system.estimatedCycles(COST_PROFILES.modern),
  ];
}

/** Formats a table: a name column, then right-aligned cells. */
export function formatTable(headers: readonly string[], rows: Array<{ name: string; cells: string[] }>): string {
  const nameWidth = Math.max(...rows.map((r) => r.name.length), 'setting, guest'.length);
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r.cells[i].length)));
  const line = (name: string, cells: readonly string[]) => `${name.padEnd(nameWidth)}  ${cells.map((c, i) => c.padStart(widths[i])).join(' ')}`.trimEnd() + '\n';
  return line('setting, guest', headers) + rows.map((row) => line(row.name, row.cells)).join('');
}

/** The table without wall time (what the docs quote): one run per row. */
export function demoTableText(): string {
  const rows = DEMO_RUNS.map((run) => {
    const system = systemOf(run);
    const result = system.run();
    if (result.reason !== 'halted') throw new Error(`${runName(run)}: ${result.detail}`);
    return { name: runName(run), cells: [run.change || '-', ...demoCells(system).map(String)] };
  });
  return formatTable(['changed', ...DEMO_HEADERS], rows);
}
