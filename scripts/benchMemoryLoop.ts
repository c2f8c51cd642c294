// The memory-heavy loop's bench: trap-and-emulate against bare hardware, both in
// this one process and interleaved run by run, so that both see the same
// compiled interpreter and the same load on the machine. Under a shadow every
// load and store goes through the soft MMU; with the data page's translation
// cached beside the TLB it should cost what it costs on bare hardware.
// Each run is timed in wall clock and in this process's CPU time: on a machine
// shared with other work the CPU time is the steadier of the two.

import { assembleText, Image } from '../src/asm';
import { createSystem, SETTING_CHOICES, SystemOptions } from '../src/hypervisor/system';
import { memoryLoopNative, memoryLoopSource } from './guests';
import { median } from './stats';

const ITERATIONS = 2_000_000;
const RUNS = 9;
const TRAP_AND_EMULATE = SETTING_CHOICES[0];

type Setting = Pick<SystemOptions, 'virtualization' | 'paging' | 'kernelShadows'>;

interface Timing {
  wallMs: number;
  cpuMs: number;
}

function runOnce(image: Image, setting: Setting): Timing {
  const system = createSystem({ ...setting, guests: [{ name: 'bench', image, inputs: [] }], maxInstructions: 1e9 });
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  const result = system.run();
  const cpu = process.cpuUsage(cpuStart);
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.reason !== 'halted') throw new Error(`${system.settingName}: ${result.detail}`);
  if ((system.guest(0).regs[2] | 0) !== memoryLoopNative(ITERATIONS)) throw new Error(`${system.settingName}: the memory loop's result differs from JavaScript`);
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

export interface MemoryLoopRatio {
  bare: Timing;
  trap: Timing;
  wallRatio: number;
  cpuRatio: number;
}

/** Medians of `RUNS` interleaved runs of each, after one warm-up run of each. */
export function measureMemoryLoop(): MemoryLoopRatio {
  const result = assembleText(memoryLoopSource(ITERATIONS));
  if (!result.image) throw new Error('the memory loop does not assemble');
  const image = result.image;
  runOnce(image, { virtualization: 'none' });
  runOnce(image, TRAP_AND_EMULATE);
  const bareRuns: Timing[] = [];
  const trapRuns: Timing[] = [];
  for (let i = 0; i < RUNS; i++) {
    bareRuns.push(runOnce(image, { virtualization: 'none' }));
    trapRuns.push(runOnce(image, TRAP_AND_EMULATE));
  }
  const medians = (runs: Timing[]): Timing => ({ wallMs: median(runs.map((r) => r.wallMs)), cpuMs: median(runs.map((r) => r.cpuMs)) });
  const bare = medians(bareRuns);
  const trap = medians(trapRuns);
  return { bare, trap, wallRatio: trap.wallMs / bare.wallMs, cpuRatio: trap.cpuMs / bare.cpuMs };
}

export function printMemoryLoopRatio(out: (line: string) => void): void {
  const { bare, trap, wallRatio, cpuRatio } = measureMemoryLoop();
  const instructions = 10 * ITERATIONS;
  const row = (name: string, t: Timing): string =>
    `${name.padEnd(52)} ${t.wallMs.toFixed(1).padStart(8)} ms wall ${t.cpuMs.toFixed(1).padStart(8)} ms CPU  ${(instructions / t.cpuMs / 1000).toFixed(1)} M instr/s`;
  out(
    `## Memory-heavy loop (10 instructions per iteration, one load and one store to a 1 KiB buffer, paging off; ${ITERATIONS.toLocaleString('en-US')} iterations, one process, medians of ${RUNS} interleaved runs each)`,
  );
  out(row('bare hardware', bare));
  out(row(`${TRAP_AND_EMULATE.virtualization} / ${TRAP_AND_EMULATE.paging} / ${TRAP_AND_EMULATE.kernelShadows}`, trap));
  out(`loop ratio (trap-and-emulate / bare): ${cpuRatio.toFixed(2)}x in CPU time, ${wallRatio.toFixed(2)}x in wall time (aim: under 1.3x)`);
}
