// Binary translation against trap-and-emulate on the example OS, in wall time:
// both in this one process and interleaved run by run (with bare hardware), so
// that all see the same compiled interpreter and the same load on the machine.
// Each run is a fresh system (a cold translation cache), as in the demo; only
// run() is timed. Reported by `npm run bench`, never asserted.

import { execFileSync } from 'child_process';
import { createSystem, SettingChoice } from '../src/hypervisor/system';
import { DEMO_INPUT, demoImage } from './demoTable';
import { median, quantile } from './stats';

const RUNS = 201;
/** Rounds run before timing, so that the interpreter, the engine and the compiled blocks are warm in both settings. */
const WARM_UP = 50;
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

function timingOf(name: string, times: number[]): BtOsTiming {
  return { name, minMs: Math.min(...times), p25Ms: quantile(times, 0.25), medianMs: median(times) };
}

export interface BtOsTiming {
  name: string;
  minMs: number;
  /** The first quartile: the runs left alone by the collector and the compiler, which the median is not always. */
  p25Ms: number;
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
  return SETTINGS.map(({ name }, k) => timingOf(name, times[k]));
}

/** The argument that makes `npm run bench`'s script (or this one) time one setting alone and print it as JSON. */
export const ALONE_FLAG = '--bt-os-alone';

/**
 * One setting alone in this process: WARM_UP runs, then `runs` timed runs of a
 * fresh system each, so that no other setting's runs shape the compiled code or
 * leave garbage for this one's runs to collect. (A full collection forced before
 * each run does worse: it throws away compiled code that names the dead systems'
 * objects, and the runs are then timed mostly unoptimized.)
 */
function measureAlone(k: number, runs: number): BtOsTiming {
  const { name, setting } = SETTINGS[k];
  for (let i = 0; i < WARM_UP; i++) runOnce(setting);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(runOnce(setting));
  return timingOf(name, times);
}

/** In a child started with ALONE_FLAG: prints its one setting's timing; true if this process is such a child. */
export function runAloneChild(): boolean {
  const at = process.argv.indexOf(ALONE_FLAG);
  if (at < 0) return false;
  process.stdout.write(JSON.stringify(measureAlone(Number(process.argv[at + 1]), Number(process.argv[at + 2]))) + '\n');
  return true;
}

/** Each setting in a process of its own, started from this script (`entry`). */
function measureEachAlone(runs: number, entry: string): BtOsTiming[] {
  return SETTINGS.map((_, k) => JSON.parse(execFileSync(process.execPath, [entry, ALONE_FLAG, String(k), String(runs)], { encoding: 'utf8' })) as BtOsTiming);
}

function printTimings(out: (line: string) => void, timings: BtOsTiming[]): void {
  const [bare, trap, bt] = timings;
  for (const t of timings) {
    out(
      `${t.name.padEnd(52)} min ${t.minMs.toFixed(3).padStart(7)} ms  p25 ${t.p25Ms.toFixed(3).padStart(7)} ms  median ${t.medianMs.toFixed(3).padStart(7)} ms  ${(t.medianMs / bare.medianMs).toFixed(2)}x bare`,
    );
  }
  const ratio = (key: 'minMs' | 'p25Ms' | 'medianMs') => (bt[key] / trap[key]).toFixed(2);
  out(`binary translation / trap-and-emulate: ${ratio('medianMs')}x (median), ${ratio('p25Ms')}x (p25), ${ratio('minMs')}x (min) (aim: at most 1.00x)`);
}

/**
 * Two ways, because on this guest (well under a millisecond a run) they differ:
 * interleaved in one process, a run pays for collecting the systems of other
 * settings and the settings shape each other's compiled code, so the same
 * setting's median moves by a third with what runs beside it; alone, a setting
 * is timed as a debug session or a CLI run uses it, one setting per process.
 */
export function printBtOnOs(out: (line: string) => void, runs = RUNS, entry = process.argv[1]): void {
  out(`## Example OS: binary translation against trap-and-emulate (run() only, a fresh system per run, ${runs} runs each after ${WARM_UP} warm-up runs)`);
  out('Each setting in a process of its own:');
  printTimings(out, measureEachAlone(runs, entry));
  out('All three in one process, interleaved in rotating order:');
  printTimings(out, measureBtOnOs(runs));
}

// Run as itself (`node out/scripts/benchBtOs.js [runs]`), not bundled into dist/bench.js, whose own main calls it.
if (require.main === module && /benchBtOs\.js$/.test(process.argv[1]) && !runAloneChild()) printBtOnOs((s) => process.stdout.write(s + '\n'), Number(process.argv[2] ?? RUNS));
