// Binary translation against trap-and-emulate on the example OS, in wall time:
// both in this one process and interleaved run by run (with bare hardware), so
// that all see the same compiled interpreter and the same load on the machine.
// Each run is a fresh system (a cold translation cache), as in the demo; only
// run() is timed. Reported by `npm run bench`, never asserted.

import { createSystem, SettingChoice } from '../src/hypervisor/system';
import { DEMO_INPUT, demoImage } from './demoTable';

const RUNS = 61;
/** Rounds run before timing, so that the interpreter, the engine and the compiled blocks are warm in both settings. */
const WARM_UP = 20;
/** For experiments: BENCH_THRESHOLD=n runs binary translation with another translation threshold. */
const THRESHOLD = process.env.BENCH_THRESHOLD ? Number(process.env.BENCH_THRESHOLD) : undefined;

const SETTINGS: ReadonlyArray<{ name: string; setting: SettingChoice }> = [
  { name: 'bare hardware', setting: { virtualization: 'none' } },
  { name: 'trap-and-emulate / shadow-on-demand / separate', setting: { virtualization: 'trap-and-emulate', paging: 'shadow-on-demand', kernelShadows: 'separate' } },
  { name: 'binary-translation / shadow-on-demand / separate', setting: { virtualization: 'binary-translation', paging: 'shadow-on-demand', kernelShadows: 'separate' } },
];

function runOnce(setting: SettingChoice): number {
  const system = createSystem({
    ...setting,
    translationThreshold: THRESHOLD,
    isAdaptiveTranslation: process.env.BENCH_ADAPTIVE === 'off' ? false : undefined,
    guests: [{ name: 'os', image: demoImage('os'), inputs: [DEMO_INPUT] }],
  });
  const start = process.hrtime.bigint();
  const result = system.run();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.reason !== 'halted') throw new Error(`${setting.virtualization}: ${result.detail}`);
  return ms;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

export interface BtOsTiming {
  name: string;
  minMs: number;
  medianMs: number;
}

/** Min and median of `runs` interleaved runs of each setting, after a few warm-up rounds. */
export function measureBtOnOs(runs = RUNS): BtOsTiming[] {
  for (let i = 0; i < WARM_UP; i++) for (const { setting } of SETTINGS) runOnce(setting);
  const times: number[][] = SETTINGS.map(() => []);
  // Each round starts at another setting, so that none always runs after the same one (and pays for its garbage).
  for (let i = 0; i < runs; i++) {
    for (let j = 0; j < SETTINGS.length; j++) {
      const k = (i + j) % SETTINGS.length;
      times[k].push(runOnce(SETTINGS[k].setting));
    }
  }
  return SETTINGS.map(({ name }, k) => ({ name, minMs: Math.min(...times[k]), medianMs: median(times[k]) }));
}

export function printBtOnOs(out: (line: string) => void, runs = RUNS): void {
  const timings = measureBtOnOs(runs);
  const [bare, trap, bt] = timings;
  out(`## Example OS: binary translation against trap-and-emulate (one process, ${runs} interleaved runs each in rotating order, run() only, fresh system per run)`);
  for (const t of timings) out(`${t.name.padEnd(52)} min ${t.minMs.toFixed(3).padStart(7)} ms  median ${t.medianMs.toFixed(3).padStart(7)} ms  ${(t.medianMs / bare.medianMs).toFixed(2)}x bare`);
  out(`binary translation / trap-and-emulate: ${(bt.medianMs / trap.medianMs).toFixed(2)}x (median), ${(bt.minMs / trap.minMs).toFixed(2)}x (min) (aim: at most 1.00x)`);
}

if (require.main === module) printBtOnOs((s) => process.stdout.write(s + '\n'), Number(process.argv[2] ?? RUNS));
