// The debugger's part of `npm run bench`: how long a `next` takes to come back
// as a `stopped` event through the real adapter process, what 10 breakpoints
// that never hit cost on the example OS, and how much memory step-back history
// uses per million instructions.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { contextSwitchSource } from './guests';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { assemble } from '../src/asm';
import { parseLaunchConfig } from '../src/debug/launchConfig';
import { DebugRuntime } from '../src/debug/runtime';
import { nodeFileReader } from '../src/debug/nodeFileReader';
import { median } from './stats';

const ROOT = path.resolve(__dirname, '..');
const OS = path.join(ROOT, 'examples/os/kernel.g32');

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

/** Instruction addresses of the kernel's panic path, which a normal run never executes. */
function neverExecutedAddresses(count: number): number[] {
  const result = assemble(OS, nodeFileReader);
  const panic = result.symbols.find((s) => s.name === 'kernel_panic');
  if (!panic) throw new Error('examples/os has no kernel_panic label');
  return result.lineMap
    .instructions()
    .filter((i) => i.address >= panic.value)
    .slice(0, count)
    .map((i) => i.address);
}

/** Median over `samples` of the time to run the program `repeat` times (one run is too short to time alone). */
function timeRun(config: ReturnType<typeof parseLaunchConfig>, breakpoints: number[], samples: number, repeat: number): { ms: number; retired: number } {
  const times: number[] = [];
  let retired = 0;
  for (let sample = 0; sample < samples + 1; sample++) {
    let total = 0;
    for (let i = 0; i < repeat; i++) {
      const runtime = new DebugRuntime({ ...config, isStopOnEntry: true }, nodeFileReader);
      runtime.setInstructionBreakpoints(breakpoints.map((address) => ({ address })));
      const start = process.hrtime.bigint();
      const result = runtime.runSynchronously();
      total += Number(process.hrtime.bigint() - start) / 1e6;
      retired = result.retired;
    }
    if (sample > 0) times.push(total / repeat);
  }
  return { ms: median(times), retired };
}

export async function printDebugBench(out: (line: string) => void): Promise<void> {
  out('');
  out('## Debugger');
  const config = parseLaunchConfig({ program: OS, input: [{ tick: 2000, text: 'k' }], virtualization: 'trap-and-emulate', historySize: 0 }, ROOT);
  const breakpoints = neverExecutedAddresses(10);
  // Interleave the two measurements so that load on the machine hits both alike.
  const noneSamples: number[] = [];
  const tenSamples: number[] = [];
  let none = { ms: 0, retired: 0 };
  for (let round = 0; round < 5; round++) {
    none = timeRun(config, [], 1, 20);
    noneSamples.push(none.ms);
    tenSamples.push(timeRun(config, breakpoints, 1, 20).ms);
  }
  none = { ms: median(noneSamples), retired: none.retired };
  const ten = { ms: median(tenSamples) };
  const change = (after: number, before: number) => (after >= before ? `${((after / before - 1) * 100).toFixed(1)}% slower` : `${((1 - after / before) * 100).toFixed(1)}% faster (noise)`);
  out(
    `example OS to completion under trap-and-emulate (${none.retired} instructions, no history, median of 5 × 20 runs): no breakpoints ${none.ms.toFixed(2)} ms, ` +
      `10 breakpoints that never hit ${ten.ms.toFixed(2)} ms: ${change(ten.ms, none.ms)} (aim: under 10%)`,
  );

  // A guest long enough for history to matter: 20,000 address-space switches (about 4M instructions).
  const longProgram = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'hyperstep-bench-')), 'switcher.g32');
  fs.writeFileSync(longProgram, contextSwitchSource(20000));
  const longConfig = parseLaunchConfig({ program: longProgram, historySize: 20, snapshotInterval: 100_000, maxInstructions: 50_000_000 }, ROOT);
  const switcherPlain = parseLaunchConfig({ program: longProgram, historySize: 0, virtualization: 'trap-and-emulate', maxInstructions: 50_000_000 }, ROOT);
  const switcherBreakpoints = Array.from({ length: 10 }, (_, i) => 0x1000 + 0x800 + 4 * i);
  const plainSamples: number[] = [];
  const withSamples: number[] = [];
  let plainRetired = 0;
  for (let round = 0; round < 5; round++) {
    const plain = timeRun(switcherPlain, [], 1, 1);
    plainRetired = plain.retired;
    plainSamples.push(plain.ms);
    withSamples.push(timeRun(switcherPlain, switcherBreakpoints, 1, 1).ms);
  }
  out(
    `a longer guest (${plainRetired} instructions, trap-and-emulate): no breakpoints ${median(plainSamples).toFixed(1)} ms, 10 breakpoints that never hit ${median(withSamples).toFixed(1)} ms: ${change(median(withSamples), median(plainSamples))}`,
  );
  const runtime = new DebugRuntime({ ...longConfig, isStopOnEntry: true }, nodeFileReader);
  const history = runtime.runSynchronously();
  out(
    `step-back history (bare hardware, a snapshot every 100,000 instructions, at most 20 kept): ${history.snapshots} snapshots, ` +
      `${(history.historyBytes / 1024 / 1024).toFixed(2)} MiB for ${history.retired} instructions = ` +
      `${(history.historyBytes / 1024 / 1024 / (history.retired / 1e6)).toFixed(1)} MiB per million instructions (bounded by historySize × one snapshot)`,
  );

  const client = new DebugClient('node', path.join(ROOT, 'dist/dap.js'), 'hyperstep');
  await client.start();
  try {
    await Promise.all([
      client.configurationSequence(),
      client.launch({ program: OS, stopOnEntry: true, virtualization: 'trap-and-emulate', input: [{ tick: 2000, text: 'k' }] }),
      client.waitForEvent('stopped'),
    ]);
    const latencies: number[] = [];
    for (let i = 0; i < 200; i++) {
      const start = process.hrtime.bigint();
      await Promise.all([client.nextRequest({ threadId: 1 }), client.waitForEvent('stopped')]);
      latencies.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    out(`next → stopped through the adapter process (200 steps): median ${median(latencies).toFixed(2)} ms, 95th percentile ${percentile(latencies, 0.95).toFixed(2)} ms`);
  } finally {
    await client.stop();
  }
}
