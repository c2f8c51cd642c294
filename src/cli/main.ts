// The `hyperstep` command line: `run` and `asm`. stdout carries exactly the
// guest's console bytes (or the listing); every diagnostic goes to stderr; the
// exit status follows g32-isa.md §8.

import * as fs from 'fs';
import * as path from 'path';
import { assemble, AssembleResult, formatDiagnostic, listing } from '../asm';
import { StopReason } from '../machine/cpu';
import { MachineCounters } from '../machine/counters';
import { Machine } from '../machine/machine';
import { AsmOptions, EXIT, parseArgs, RunOptions } from './args';

export interface CliIo {
  stdout(data: string | Uint8Array): void;
  stderr(text: string): void;
  readFile(file: string): string | undefined;
  writeFile(file: string, text: string): void;
}

/** writeSync may write part of a buffer to a pipe; loop until all of it is out. */
function writeAll(fd: number, data: Uint8Array): void {
  let offset = 0;
  while (offset < data.length) {
    try { offset += fs.writeSync(fd, data, offset); } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e; }
  }
}

export const nodeIo: CliIo = {
  stdout: (data) => { writeAll(1, typeof data === 'string' ? Buffer.from(data) : data); },
  stderr: (text) => { writeAll(2, Buffer.from(text)); },
  readFile: (file) => { try { return fs.readFileSync(file, 'utf8'); } catch { return undefined; } },
  writeFile: (file, text) => fs.writeFileSync(file, text),
};

export const EXIT_BY_STOP: Partial<Record<StopReason, number>> = {
  'halted': EXIT.halted, 'triple-fault': EXIT.tripleFault, 'bus-error': EXIT.busError,
  'instruction-limit': EXIT.instructionLimit, 'exception-loop': EXIT.exceptionLoop,
};

function assembleFile(file: string, io: CliIo): AssembleResult | number {
  if (io.readFile(file) === undefined) {
    io.stderr(`hyperstep: cannot read ${file}\n`);
    return EXIT.usage;
  }
  const result = assemble(path.resolve(file), { readFile: io.readFile });
  const cwd = process.cwd();
  for (const diagnostic of result.diagnostics) {
    io.stderr(formatDiagnostic({ ...diagnostic, file: path.relative(cwd, diagnostic.file) || diagnostic.file }) + '\n');
  }
  if (!result.image) {
    if (result.diagnostics.length === 0) io.stderr(`hyperstep: ${file}: assembly failed\n`);
    return EXIT.assemblyError;
  }
  return result;
}

export function runCommand(options: RunOptions, io: CliIo): number {
  if (options.virtualization !== 'none') {
    io.stderr(`hyperstep: --virtualization ${options.virtualization} is not available yet; only 'none' (bare hardware) runs in this build\n`);
    return EXIT.usage;
  }
  const assembled = assembleFile(options.file, io);
  if (typeof assembled === 'number') return assembled;
  let machine: Machine;
  try {
    machine = new Machine({ memory: options.memory, tlbEntries: options.tlbEntries, inputs: options.inputs, maxInstructions: options.maxInstructions });
    machine.load(assembled.image!);
  } catch (e) {
    io.stderr(`hyperstep: ${(e as Error).message}\n`);
    return EXIT.usage;
  }
  const counters = options.isStats ? new MachineCounters(machine.events) : undefined;
  const trace: string[] = [];
  if (options.traceFile) machine.events.on((event) => trace.push(JSON.stringify(event)));
  const output: number[] = [];
  machine.devices.console.onByte = (byte) => {
    output.push(byte);
    if (output.length >= 4096) { io.stdout(Uint8Array.from(output)); output.length = 0; }
  };
  const result = machine.run();
  if (output.length > 0) io.stdout(Uint8Array.from(output));
  if (options.traceFile) io.writeFile(options.traceFile, trace.length ? trace.join('\n') + '\n' : '');
  const cpu = machine.cpu;
  if (result.reason !== 'halted') {
    io.stderr(`hyperstep: ${result.detail} (pc 0x${(cpu.pc >>> 0).toString(16).padStart(8, '0')}, after ${cpu.retired} instructions)\n`);
  }
  if (counters) {
    const rows: Array<[string, number]> = [
      ['instructions retired', cpu.retired], ['ticks', cpu.ticks], ['idle ticks (hlt)', cpu.idleTicks],
      ['TLB hits', cpu.tlb.hits], ['TLB misses', cpu.tlb.misses], ...counters.rows(),
    ];
    const width = Math.max(...rows.map(([name]) => name.length));
    io.stderr('costs (virtualization: none)\n' + rows.map(([name, value]) => `  ${name.padEnd(width)}  ${value}`).join('\n') + '\n');
  }
  return EXIT_BY_STOP[result.reason] ?? EXIT.usage;
}

export function asmCommand(options: AsmOptions, io: CliIo): number {
  const assembled = assembleFile(options.file, io);
  if (typeof assembled === 'number') return assembled;
  if (options.isListing) {
    const sources = new Map<string, string>();
    for (const file of assembled.files) sources.set(file, io.readFile(file) ?? '');
    io.stdout(listing(assembled, sources));
  }
  return EXIT.halted;
}

export function main(argv: string[], io: CliIo = nodeIo): number {
  const invocation = parseArgs(argv, (s) => io.stdout(s), (s) => io.stderr(s));
  switch (invocation.command) {
    case 'exit': return invocation.status;
    case 'run': return runCommand(invocation.options, io);
    case 'asm': return asmCommand(invocation.options, io);
  }
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}
