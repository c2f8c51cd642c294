// Binary translation against trap-and-emulate on the example OS, in wall time
// (with bare hardware beside them): each setting in a process of its own, the
// processes taking turns, and then all three interleaved in one process. Each
// run is a fresh system (a cold translation cache), as in the demo; only run()
// is timed. Reported by `npm run bench`, never asserted.

import { ChildProcess, fork } from 'child_process';
import { createSystem, SettingChoice, VirtualSystem } from '../src/hypervisor/system';
import { DEMO_INPUT, demoImage } from './demoTable';
import { median, quantile } from './stats';

const RUNS = 201;
/**
 * Runs before timing, so that the interpreter, the engine and the compiled blocks
 * are compiled by the JIT in every setting: binary translation's engine is many
 * small functions that each run a few times a run, and its time per run still
 * falls until some 300 runs (trap-and-emulate's, after a few dozen).
 */
const WARM_UP = 400;
/** For experiments: BENCH_THRESHOLD=n runs binary translation with another translation threshold. */
const THRESHOLD = process.env.BENCH_THRESHOLD ? Number(process.env.BENCH_THRESHOLD) : undefined;

const SETTINGS: ReadonlyArray<{ name: string; setting: SettingChoice }> = [
  { name: 'bare hardware', setting: { virtualization: 'none' } },
  { name: 'trap-and-emulate / shadow-on-demand / separate', setting: { virtualization: 'trap-and-emulate', paging: 'shadow-on-demand', kernelShadows: 'separate' } },
  { name: 'binary-translation / shadow-on-demand / separate', setting: { virtualization: 'binary-translation', paging: 'shadow-on-demand', kernelShadows: 'separate' } },
];

/** One run of the example OS under `setting`: a fresh system, made untimed; the wall time of run() alone. */
export function timedOsRun(setting: SettingChoice): { ms: number; system: VirtualSystem } {
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
  return { ms, system };
}

function runOnce(setting: SettingChoice): number {
  return timedOsRun(setting).ms;
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

/** The argument that makes `npm run bench`'s script (or this one) a child that times one setting on request. */
export const ALONE_FLAG = '--bt-os-alone';

/** What a lockstep child says: warmed up, or how long each run it was asked for took. */
type ChildMessage = { ready: true; first: number; early: number } | { ms: number[] };

/** Warm-up runs a child reports the median of (after its first): how a short session fares, before the compiler has caught up. */
const EARLY_RUNS = 50;

/** Runs a lockstep child does in a row when its turn comes: enough to warm the caches the other processes' turns cooled, few enough to stay inside one of the machine's phases. */
const TURN = 10;

/**
 * One setting alone in this process, so that no other setting's runs shape the
 * compiled code or leave garbage for this one's runs to collect: WARM_UP runs,
 * then TURN timed runs (a fresh system each) per message from the parent.
 */
function serveAlone(k: number): void {
  const { setting } = SETTINGS[k];
  const warmUp: number[] = [];
  for (let i = 0; i < WARM_UP; i++) warmUp.push(runOnce(setting));
  const send = (message: ChildMessage) => process.send?.(message);
  process.on('message', (message) => {
    if (message === 'run') send({ ms: Array.from({ length: TURN }, () => runOnce(setting)) });
    else process.exit(0);
  });
  send({ ready: true, first: warmUp[0], early: median(warmUp.slice(1, EARLY_RUNS + 1)) });
}

/** In a child started with ALONE_FLAG: serves its one setting's runs; true if this process is such a child. */
export function runAloneChild(): boolean {
  const at = process.argv.indexOf(ALONE_FLAG);
  if (at < 0) return false;
  serveAlone(Number(process.argv[at + 1]));
  return true;
}

/** The next message from a child. */
function nextMessage(child: ChildProcess): Promise<ChildMessage> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`bench child exited (${code}) before answering`));
    child.once('exit', onExit);
    child.once('message', (message) => {
      child.off('exit', onExit);
      resolve(message as ChildMessage);
    });
  });
}

/**
 * Each setting in a process of its own, the processes run in lockstep: TURN runs
 * of each in turn (the order rotating), never two at once. This machine's speed
 * moves in phases (the collector's marking, other load) lasting tens of runs; in
 * lockstep each setting's i-th turn falls in the same phase, so the ratio of
 * binary translation's median run in a turn to trap-and-emulate's in the same
 * round compares like with like.
 */
async function measureLockstep(runs: number, entry: string): Promise<{ timings: BtOsTiming[]; ratios: number[]; warmUps: Array<{ first: number; early: number }> }> {
  const children = SETTINGS.map((_, k) => fork(entry, [ALONE_FLAG, String(k)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  try {
    const warmUps: Array<{ first: number; early: number }> = [];
    // Warm-up one child at a time: two at once would share the machine's two cores with the parent.
    for (const child of children) {
      const message = await nextMessage(child);
      if (!('ready' in message)) throw new Error('bench child answered out of turn');
      warmUps.push(message);
    }
    const times: number[][] = SETTINGS.map(() => []);
    const ratios: number[] = [];
    for (let i = 0; i < Math.ceil(runs / TURN); i++) {
      const turns: number[][] = [];
      for (let j = 0; j < SETTINGS.length; j++) {
        const k = (i + j) % SETTINGS.length;
        const answer = nextMessage(children[k]);
        children[k].send('run');
        const message = await answer;
        if (!('ms' in message)) throw new Error('bench child answered out of turn');
        turns[k] = message.ms;
        times[k].push(...message.ms);
      }
      ratios.push(median(turns[2]) / median(turns[1]));
    }
    return { timings: SETTINGS.map(({ name }, k) => timingOf(name, times[k])), ratios, warmUps };
  } finally {
    for (const child of children) if (child.connected) child.send('exit');
  }
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
export async function printBtOnOs(out: (line: string) => void, runs = RUNS, entry = process.argv[1]): Promise<void> {
  out(`## Example OS: binary translation against trap-and-emulate (run() only, a fresh system per run, ${runs} runs each after ${WARM_UP} warm-up runs)`);
  out(`Each setting in a process of its own, the processes in lockstep (${TURN} runs of each in turn):`);
  const { timings, ratios, warmUps } = await measureLockstep(runs, entry);
  printTimings(out, timings);
  out(
    `binary translation / trap-and-emulate, turn by turn (median run of each in the same round): median ${median(ratios).toFixed(2)}x, quartiles ${quantile(ratios, 0.25).toFixed(2)}x to ${quantile(ratios, 0.75).toFixed(2)}x; binary translation faster in ${ratios.filter((r) => r < 1).length} of ${ratios.length} rounds`,
  );
  out(`Before the compiler has caught up (the same processes' warm-up: their first run, and the median of the ${EARLY_RUNS} after it):`);
  SETTINGS.forEach(({ name }, k) => out(`${name.padEnd(52)} first ${warmUps[k].first.toFixed(3).padStart(7)} ms  early median ${warmUps[k].early.toFixed(3).padStart(7)} ms`));
  out('All three in one process, interleaved in rotating order:');
  printTimings(out, measureBtOnOs(runs));
}

// Run as itself (`node out/scripts/benchBtOs.js [runs]`), not bundled into dist/bench.js, whose own main calls it.
if (require.main === module && /benchBtOs\.js$/.test(process.argv[1]) && !runAloneChild()) {
  printBtOnOs((s) => process.stdout.write(s + '\n'), Number(process.argv[2] ?? RUNS)).catch((e) => {
    process.stderr.write(`${(e as Error).stack ?? e}\n`);
    process.exitCode = 1;
  });
}
