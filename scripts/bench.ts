// `npm run bench`: how fast the simulator is and what each setting costs.
// Timings are wall-clock medians of several runs on this machine; nothing
// here is asserted (tests never time anything).

import { execFileSync } from 'child_process';
import { assembleText, Image } from '../src/asm';
import { createSystem, SETTING_CHOICES, SystemOptions, VirtualSystem } from '../src/hypervisor/system';
import { computeLoopNative, computeLoopSource, contextSwitchSource } from './guests';
import { printDebugBench } from './benchDebug';
import { printBtOnOs, runAloneChild, timedOsRun } from './benchBtOs';
import { printMemoryLoopRatio } from './benchMemoryLoop';
import { printVirtualizationTable } from './benchTable';
import { median } from './stats';

type Setting = Pick<SystemOptions, 'virtualization' | 'paging' | 'kernelShadows'>;

const SETTINGS: readonly Setting[] = SETTING_CHOICES;

function timeIt(fn: () => void, runs: number): number {
  fn(); // warm-up: the first run pays for compiling the interpreter loop
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(times);
}

function imageOf(text: string): Image {
  const result = assembleText(text);
  if (!result.image) throw new Error(result.diagnostics.map((d) => d.message).join('; '));
  return result.image;
}

interface Measured {
  ms: number;
  system: VirtualSystem;
}

function measure(image: Image, setting: Setting, runs: number, inputs = [{ tick: 2000, bytes: Buffer.from('k') }]): Measured {
  let system!: VirtualSystem;
  const ms = timeIt(() => {
    system = createSystem({ ...setting, guests: [{ name: 'bench', image, inputs }], maxInstructions: 1e9 });
    const result = system.run();
    if (result.reason !== 'halted') throw new Error(`${system.settingName}: ${result.detail}`);
  }, runs);
  return { ms, system };
}

/** Example-OS runs per setting, and untimed ones before them (binary translation's engine needs a few hundred before the JIT has compiled it). */
const OS_RUNS = 25;
const OS_WARM_UP = 300;

/** The median wall time of run() alone over OS_RUNS runs of the example OS (timedOsRun), after OS_WARM_UP untimed ones. */
function measureOsRuns(setting: Setting): Measured {
  for (let i = 0; i < OS_WARM_UP; i++) timedOsRun(setting);
  const runs = Array.from({ length: OS_RUNS }, () => timedOsRun(setting));
  return { ms: median(runs.map((r) => r.ms)), system: runs[runs.length - 1].system };
}

function label(setting: Setting): string {
  if (setting.virtualization === 'none') return 'bare hardware';
  return setting.kernelShadows ? `${setting.virtualization} / ${setting.paging} / ${setting.kernelShadows}` : `${setting.virtualization} / ${setting.paging}`;
}

function mips(instructions: number, ms: number): string {
  return `${(instructions / ms / 1000).toFixed(1)} M instr/s`;
}

function counterSummary(system: VirtualSystem): string {
  const c = system.counters();
  if (!c) return '';
  const traps = c.trapsProtectionFault + c.trapsPageFault + c.trapsSyscall + c.trapsOther;
  const extra = [
    c.hypercalls ? `hypercalls ${c.hypercalls}` : '',
    c.translations ? `blocks translated ${c.translations}, chained ${c.chainedJumps}` : '',
    c.hwExits ? `exits ${c.hwExits}` : '',
    c.nestedWalkReferences ? `nested walk refs ${c.nestedWalkReferences}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  return `traps ${traps} (hidden PF ${c.hiddenPageFaults}, I/O ${c.ioEmulated}), shadow fills ${c.shadowFills}, drops ${c.shadowDrops}, real cr3 loads ${c.realCr3Loads}, TLB misses ${system.cpu.tlb.misses}${extra ? `, ${extra}` : ''}`;
}

const COMPUTE_ITERATIONS = 3_000_000;

/** Runs the compute loop under one setting in a child process (see the caller); median of 5 runs. */
function computeInChild(setting: Setting): { ms: number; summary: string } {
  const output = execFileSync(process.execPath, [__filename, '--compute', JSON.stringify(setting)], { encoding: 'utf8' });
  return JSON.parse(output) as { ms: number; summary: string };
}

function computeChildMain(settingJson: string): void {
  const setting = JSON.parse(settingJson) as Setting;
  const m = measure(imageOf(computeLoopSource(COMPUTE_ITERATIONS)), setting, 5);
  process.stdout.write(JSON.stringify({ ms: m.ms, summary: counterSummary(m.system) }));
}

export async function main(): Promise<void> {
  const out = (s: string) => process.stdout.write(s + '\n');
  out('hyperstep bench (median of several runs; wall clock on this machine)\n');

  // 1. The interpreter against the same computation in JavaScript.
  const iterations = 3_000_000;
  const loop = imageOf(computeLoopSource(iterations));
  let nativeResult = 0;
  const nativeMs = timeIt(() => {
    nativeResult = computeLoopNative(iterations);
  }, 7);
  const bare = measure(loop, { virtualization: 'none' }, 5);
  const instructions = bare.system.guest(0).retired;
  if ((bare.system.guest(0).regs[2] | 0) !== (nativeResult | 0)) throw new Error('compute loop result differs from JavaScript');
  out('## Compute loop (7 guest instructions per iteration, 3,000,000 iterations)');
  out(`native JavaScript:      ${nativeMs.toFixed(1)} ms`);
  out(`bare-hardware guest:    ${bare.ms.toFixed(1)} ms, ${mips(instructions, bare.ms)}`);
  out(`slowdown vs JavaScript: ${(bare.ms / nativeMs).toFixed(1)}x (aim: under 10x)`);
  out('');
  out('## Each setting against bare hardware, compute loop (aim: under 1.3x; binary translation: 3x faster than the interpreter)');
  // Each setting in a fresh process, against bare hardware in another: in one long-lived
  // process the interpreter's compiled code is shaped by every system run before it.
  const bareAlone = computeInChild({ virtualization: 'none' });
  out(`${'bare hardware (own process)'.padEnd(52)} ${bareAlone.ms.toFixed(1).padStart(8)} ms`);
  for (const setting of SETTINGS) {
    const m = computeInChild(setting);
    const ratio = m.ms / bareAlone.ms;
    const note = ratio < 1 ? `${(1 / ratio).toFixed(1)}x faster than the bare-hardware interpreter` : `${ratio.toFixed(2)}x`;
    out(`${label(setting).padEnd(52)} ${m.ms.toFixed(1).padStart(8)} ms  ${note}  ${m.summary}`);
  }

  out('');
  printMemoryLoopRatio(out);

  // 2. The example OS.
  const osBare = measureOsRuns({ virtualization: 'none' });
  out('');
  out(`## Example OS (examples/os, ${osBare.system.guest(0).retired} instructions; run() only, median of ${OS_RUNS} runs after ${OS_WARM_UP} untimed ones, a setting at a time)`);
  out(`${'bare hardware'.padEnd(52)} ${osBare.ms.toFixed(2).padStart(8)} ms  1.00x  ${mips(osBare.system.guest(0).retired, osBare.ms)}`);
  for (const setting of SETTINGS) {
    const m = measureOsRuns(setting);
    out(`${label(setting).padEnd(52)} ${m.ms.toFixed(2).padStart(8)} ms  ${(m.ms / osBare.ms).toFixed(2)}x  est. cycles ${m.system.estimatedCycles()}  ${counterSummary(m.system)}`);
  }

  out('');
  await printBtOnOs(out);

  // 3. Cached shadows against dropping them, on a guest that switches address spaces often.
  const switcher = imageOf(contextSwitchSource(2000, 200));
  const switcherBare = measure(switcher, { virtualization: 'none' }, 5, []);
  out('');
  out(`## Context switches (2000 address-space switches, one every 200 ticks; ${switcherBare.system.guest(0).retired} instructions)`);
  out(`${'bare hardware'.padEnd(52)} ${switcherBare.ms.toFixed(1).padStart(8)} ms  1.00x`);
  for (const setting of SETTINGS.filter((s) => s.kernelShadows === 'separate')) {
    const m = measure(switcher, setting, 5, []);
    out(`${label(setting).padEnd(52)} ${m.ms.toFixed(1).padStart(8)} ms  ${(m.ms / switcherBare.ms).toFixed(2)}x  est. cycles ${m.system.estimatedCycles()}  ${counterSummary(m.system)}`);
  }

  // 4. Micro-benchmarks: software against hardware virtualization, per operation.
  printVirtualizationTable(out);

  // 5. The debugger.
  await printDebugBench(out);
}

if (require.main === module && process.argv[2] === '--compute') computeChildMain(process.argv[3]);
else if (require.main === module && runAloneChild()) {
  // A child of printBtOnOs: it serves its one setting's runs.
} else if (require.main === module && process.argv[2] === '--memory-loop') printMemoryLoopRatio((s) => process.stdout.write(s + '\n'));
else if (require.main === module)
  main().catch((e) => {
    process.stderr.write(`${(e as Error).stack ?? e}\n`);
    process.exitCode = 1;
  });
