// `npm run demo`: runs the example guest OS on bare hardware and under the
// virtualization settings (and its paravirtualized twin next to the same
// settings), prints its console once, and then a table of costs side by side.
// Each row changes one thing against the row above (scripts/demoTable.ts), so
// that every difference between neighbours has one cause.

import { DEMO_HEADERS, DEMO_LEGEND, DEMO_RUNS, demoCells, formatTable, runName, systemOf } from './demoTable';
import { median } from './stats';

/** Runs per row; `ms` is their median (one run alone jumps around with the machine's load and the JIT). */
const RUNS = 11;
/**
 * Untimed rounds first: every setting's own code (the translator's, the hardware
 * assist's) is compiled by the JIT only once it has run many times (binary
 * translation's engine, a few dozen runs), and a row timed before that shows
 * the JIT's work rather than the setting's. Some two seconds in all.
 */
const WARM_UP_ROUNDS = 40;

export function main(): number {
  // Round-robin over the rows, after WARM_UP_ROUNDS untimed ones: the machine's load spreads over every row.
  const times: number[][] = DEMO_RUNS.map(() => []);
  const last: Array<ReturnType<typeof systemOf>> = [];
  for (let round = 0; round < WARM_UP_ROUNDS + RUNS; round++) {
    // Each round starts at another row, so that a garbage collection that falls at the same point of every round hits different rows.
    DEMO_RUNS.forEach((_, k) => {
      const i = (k + round * 5) % DEMO_RUNS.length;
      const run = DEMO_RUNS[i];
      const system = systemOf(run);
      const start = process.hrtime.bigint();
      const result = system.run();
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (round >= WARM_UP_ROUNDS) times[i].push(ms);
      else if (round === 0 && result.reason !== 'halted') process.stderr.write(`${runName(run)}: ${result.detail}\n`);
      last[i] = system;
    });
  }
  const rows = DEMO_RUNS.map((run, i) => ({
    name: runName(run),
    output: Buffer.from(last[i].guest(0).console).toString('latin1'),
    cells: [run.change || '-', ...demoCells(last[i]).map(String), median(times[i]).toFixed(1)],
  }));
  process.stdout.write(`hyperstep demo: examples/os/kernel.g32 (and examples/os-pv) with the key 'k' typed at tick 2000\n\n--- guest console (bare hardware) ---\n${rows[0].output}`);
  // The paravirtualized kernel prints the same lines as the original.
  const allSame = rows.every((r) => r.output === rows[0].output);
  process.stdout.write(`--- ${allSame ? 'identical console output under every setting' : 'CONSOLE OUTPUT DIFFERS between settings'} ---\n\n`);
  process.stdout.write(formatTable(['changed', ...DEMO_HEADERS, 'ms'], rows));
  process.stdout.write(
    [
      '',
      'changed: what differs from the row above (one thing per row);',
      ...DEMO_LEGEND,
      `ms: wall time of run() on this machine, median of ${RUNS} runs after ${WARM_UP_ROUNDS} untimed ones.`,
      '',
    ].join('\n'),
  );
  return allSame ? 0 : 1;
}

if (require.main === module) process.exitCode = main();
