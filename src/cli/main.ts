// The `hyperstep` command line: `run`, `asm` and `check` (check.ts). stdout carries exactly the
// guest's console bytes (or the listing), written as the guest prints them;
// every diagnostic goes to stderr, with control characters escaped; the exit
// status follows g32-isa.md §8. When stdout is closed early (`| head -c1`) the
// rest of the output is dropped and the run still ends with its own status.

import * as fs from 'fs';
import * as path from 'path';
import { assemble, AssembleResult, formatDiagnostic, listing } from '../asm';
import { StopReason } from '../machine/cpu';
import { MachineCounters } from '../machine/counters';
import { DeviceSet } from '../machine/devices/bus';
import { findDivergence, formatDivergence } from '../hypervisor/compare';
import { hexWord } from '../machine/format';
import { explainDeliveryFailure } from '../machine/deliveryFailure';
import { COST_PROFILES, CostModel, isCostProfileName, parseCostModel } from '../hypervisor/costs';
import { ConfigError, createSystem, imageOutsideMemory, SystemOptions, validateMemory, validateSettings, VirtualSystem } from '../hypervisor/system';
import { DEFAULT_VIRTUALIZATION } from '../hypervisor/settings';
import { LoadError, LoadResult, loadProgram } from '../loader/program';
import { nodeIncludePaths } from '../loader/includePaths';
import { readSourceFile, readSourceText } from '../loader/sourceFile';
import type { SourceRead } from '../asm';
import { AsmOptions, EXIT, parseArgs, RunOptions } from './args';
import { checkCommand } from './check';
import { explainAgreement, SensitiveTally } from '../hypervisor/compareAgreement';
import { CLI_SETTING_NAMES, ineffectiveCostKeys, ineffectiveSettingWarnings } from '../hypervisor/settingWarnings';
import { explainStop, probeSpin, SourceOf } from '../hypervisor/stopExplanation';
import { traceEvents } from '../hypervisor/traceLabels';
import { formatAllTables, runToPoint } from './showTables';
import { escapeForTerminal } from './terminalText';
import { openTraceFile, TraceSink } from './traceFile';

export interface CliIo {
  stdout(data: string | Uint8Array): void;
  stderr(text: string): void;
  readFile(file: string): string | undefined;
  /** Like readFile, with the reason a file is refused (see loader/sourceFile.ts). */
  readSourceFile(file: string): SourceRead;
  writeFile(file: string, text: string): void;
  /** Opens FILE for streaming `--trace` lines; throws with a message when it cannot be created. */
  openTrace(file: string): TraceSink;
}

/** Set once stdout is closed by its reader: output is dropped from then on. */
let isStdoutClosed = false;

/** writeSync may write part of a buffer to a pipe; loop until all of it is out. */
function writeAll(fd: number, data: Uint8Array): void {
  let offset = 0;
  while (offset < data.length) {
    try {
      offset += fs.writeSync(fd, data, offset);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
    }
  }
}

export const nodeIo: CliIo = {
  stdout: (data) => {
    if (isStdoutClosed) return;
    try {
      writeAll(1, typeof data === 'string' ? Buffer.from(data) : data);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EPIPE') throw e;
      isStdoutClosed = true;
    }
  },
  stderr: (text) => {
    try {
      writeAll(2, Buffer.from(text));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EPIPE') throw e;
    }
  },
  readFile: readSourceText,
  readSourceFile: (file) => readSourceFile(file),
  writeFile: (file, text) => fs.writeFileSync(file, text),
  openTrace: openTraceFile,
};

/** Bytes of guest output gathered before a write to stdout. */
const OUTPUT_CHUNK = 4096;

export const EXIT_BY_STOP: Partial<Record<StopReason, number>> = {
  halted: EXIT.halted,
  'triple-fault': EXIT.tripleFault,
  'bus-error': EXIT.busError,
  'instruction-limit': EXIT.instructionLimit,
  'exception-loop': EXIT.exceptionLoop,
};

function relativeName(file: string): string {
  return path.relative(process.cwd(), file) || file;
}

function printDiagnostics(result: AssembleResult, io: CliIo): void {
  for (const diagnostic of result.diagnostics) io.stderr(formatDiagnostic({ ...diagnostic, file: relativeName(diagnostic.file) }) + '\n');
}

function assembleFile(file: string, io: CliIo): AssembleResult | number {
  const read = io.readSourceFile(file);
  if ('error' in read) {
    io.stderr(`hyperstep: cannot read ${file}: ${read.error}\n`);
    return EXIT.usage;
  }
  const absolute = path.resolve(file);
  const result = assemble(absolute, { readSourceFile: (other) => (other === absolute ? read : io.readSourceFile(other)), includePaths: nodeIncludePaths });
  printDiagnostics(result, io);
  if (!result.image) {
    if (result.diagnostics.length === 0) io.stderr(`hyperstep: ${file}: assembly failed\n`);
    return EXIT.assemblyError;
  }
  return result;
}

function formatRows(title: string, rows: Array<[string, number]>): string {
  const width = Math.max(...rows.map(([name]) => name.length));
  return `${title}\n` + rows.map(([name, value]) => `  ${name.padEnd(width)}  ${value}`).join('\n') + '\n';
}

/** Builds the systems a run needs from the options; a number is an exit status (the message is already out). */
function prepare(options: RunOptions, io: CliIo): { load: LoadResult; systemOptions: SystemOptions } | number {
  let load: LoadResult;
  try {
    load = loadProgram(options.file, { readSourceFile: io.readSourceFile, memory: options.memory, inputs: options.inputs });
  } catch (e) {
    if (e instanceof ConfigError || e instanceof LoadError) {
      io.stderr(`hyperstep: ${e.message}\n`);
      return EXIT.usage;
    }
    throw e;
  }
  for (const guest of load.guests) printDiagnostics(guest.assembled, io);
  if (load.failed.length > 0) return EXIT.assemblyError;
  const description = load.description;
  let costModel: CostModel | undefined;
  let costKeys: string[] = [];
  if (options.costModelFile && isCostProfileName(options.costModelFile)) {
    costModel = { ...COST_PROFILES[options.costModelFile] };
  } else if (options.costModelFile) {
    const read = io.readSourceFile(options.costModelFile);
    if ('error' in read) {
      io.stderr(`hyperstep: cannot read ${options.costModelFile}: ${read.error}\n`);
      return EXIT.usage;
    }
    try {
      const json = JSON.parse(read.text) as object;
      costModel = parseCostModel(json);
      costKeys = Object.keys(json).filter((key) => key !== 'profile');
    } catch (e) {
      io.stderr(`hyperstep: ${options.costModelFile}: ${(e as Error).message}\n`);
      return EXIT.usage;
    }
  }
  const systemOptions: SystemOptions = {
    virtualization: options.virtualization ?? description?.virtualization ?? DEFAULT_VIRTUALIZATION,
    paging: options.paging ?? description?.paging,
    kernelShadows: options.kernelShadows ?? description?.kernelShadows,
    tlbEntries: options.tlbEntries ?? description?.tlbEntries,
    maxInstructions: options.maxInstructions,
    costModel,
    translationThreshold: options.translationThreshold,
    guests: load.guests,
  };
  try {
    validateSettings(systemOptions);
    validateMemory(systemOptions);
    if (systemOptions.virtualization === 'none' && load.guests.length > 1) {
      throw new ConfigError(`${relativeName(options.file)} has ${load.guests.length} guests; bare hardware (virtualization none) runs one: choose --virtualization trap-and-emulate`);
    }
    if (options.isCompare && systemOptions.virtualization === 'none') throw new ConfigError('--compare needs a --virtualization other than none to compare with bare hardware');
    if (options.isCompare && load.guests.length > 1) throw new ConfigError('--compare runs one guest at a time');
    if (options.isCompare && options.show) throw new ConfigError('--show and --compare do not go together: --show stops one run to print its tables');
  } catch (e) {
    if (e instanceof ConfigError) {
      io.stderr(`hyperstep: ${e.message}\n`);
      return EXIT.usage;
    }
    throw e;
  }
  const explicit = { virtualization: systemOptions.virtualization, paging: systemOptions.paging, kernelShadows: systemOptions.kernelShadows, translationThreshold: systemOptions.translationThreshold };
  const fromFile = (key: 'paging' | 'kernelShadows') => `${relativeName(options.file)}'s "${key}"`;
  const names = {
    paging: options.paging ? CLI_SETTING_NAMES.paging : fromFile('paging'),
    kernelShadows: options.kernelShadows ? CLI_SETTING_NAMES.kernelShadows : fromFile('kernelShadows'),
    translationThreshold: CLI_SETTING_NAMES.translationThreshold,
  };
  const warnings = [...ineffectiveSettingWarnings(explicit, names), ...ineffectiveCostKeys(systemOptions.virtualization, costKeys)];
  if (options.isCompare && options.isStats) warnings.push('--stats has no effect with --compare, which prints only the comparison');
  if (options.isCompare && options.traceFile) warnings.push('--trace has no effect with --compare; trace one setting at a time');
  for (const warning of warnings) io.stderr(`hyperstep: warning: ${warning}\n`);
  // Before any memory is allocated: an image larger than its guest is the program's fault (status 1), found at once.
  const outside = imageOutsideMemory(load.guests);
  if (outside) {
    io.stderr(`hyperstep: ${outside}\n`);
    return EXIT.assemblyError;
  }
  return { load, systemOptions };
}

/** "kernel.g32:12" for a guest-physical address of guest 0, from its line map. */
function sourceOfGuest(load: LoadResult): SourceOf {
  const lineMap = load.guests[0]?.assembled.lineMap;
  return (gpa) => {
    const line = lineMap?.lookup(gpa);
    return line ? `${relativeName(line.file)}:${line.line}` : undefined;
  };
}

export function runCommand(options: RunOptions, io: CliIo): number {
  const prepared = prepare(options, io);
  if (typeof prepared === 'number') return prepared;
  const { systemOptions, load } = prepared;
  if (options.isCompare) {
    const make = (virtualization: SystemOptions['virtualization']) => () => createSystem({ ...systemOptions, virtualization });
    // The first run of the other setting goes to the end when nothing diverges: its counters say why.
    let firstOther: { system: VirtualSystem; tally: SensitiveTally } | undefined;
    const makeOther = () => {
      const system = make(systemOptions.virtualization)();
      if (!firstOther) {
        firstOther = { system, tally: new SensitiveTally() };
        firstOther.tally.attach(system);
      }
      return system;
    };
    const result = findDivergence(make('none'), makeOther);
    io.stdout(formatDivergence(result));
    if (result.divergence) return EXIT.divergence;
    if (firstOther)
      io.stdout(
        explainAgreement(firstOther.system, firstOther.tally)
          .map((line) => `  ${line}\n`)
          .join(''),
      );
    return EXIT.halted;
  }
  let trace: TraceSink | undefined;
  if (options.traceFile) {
    try {
      trace = io.openTrace(options.traceFile);
    } catch (e) {
      io.stderr(`hyperstep: ${(e as Error).message}\n`);
      return EXIT.usage;
    }
  }
  let system: VirtualSystem;
  try {
    system = createSystem(systemOptions);
  } catch (e) {
    trace?.close();
    io.stderr(`hyperstep: ${(e as Error).message}\n`);
    return EXIT.usage;
  }
  const counters = options.isStats ? new MachineCounters(system.events) : undefined;
  if (trace) {
    const sink = trace;
    traceEvents(system, (record) => sink.write(JSON.stringify(record) + '\n'));
  }
  if (options.show) {
    const reached = runToPoint(system, options.show.point);
    io.stdout(`hyperstep: ${system.guest(0).name} under ${system.settingName}, ${reached.what}; pc ${hexWord(system.guest(0).pc)}\n\n`);
    io.stdout(formatAllTables(system, options.show.tables));
    const traceError = trace?.close();
    if (traceError) io.stderr(`hyperstep: the trace in ${options.traceFile} is incomplete: ${traceError}\n`);
    if (!reached.isReached) {
      io.stderr(`hyperstep: the run ended before ${options.show.point.kind === 'tick' ? `tick ${options.show.point.tick}` : 'that event'}: ${reached.stop}\n`);
      return EXIT.showPointNotReached;
    }
    return EXIT.halted;
  }
  const isMultiGuest = system.guestCount > 1;
  const output: number[] = [];
  const flush = () => {
    if (output.length > 0) {
      io.stdout(Uint8Array.from(output));
      output.length = 0;
    }
  };
  const emit = (bytes: ArrayLike<number>) => {
    for (let i = 0; i < bytes.length; i++) output.push(bytes[i]);
    if (output.length >= OUTPUT_CHUNK) flush();
  };
  // Several guests share stdout line by line, each line prefixed with the guest's name; a line
  // longer than OUTPUT_CHUNK goes out in pieces (one prefix), so a guest that never prints a newline costs no memory.
  const pendingLine = new Map<number, number[]>();
  const isMidLine = new Set<number>();
  const emitLine = (index: number, line: number[], isComplete: boolean) => {
    if (!isMidLine.has(index)) emit(Buffer.from(`[${escapeForTerminal(system.guest(index).name)}] `));
    emit(line);
    if (isComplete) isMidLine.delete(index);
    else isMidLine.add(index);
  };
  for (let index = 0; index < system.guestCount; index++) {
    const consoleDevice = system.hypervisor ? system.hypervisor.guests[index].devices.console : (system as unknown as { machine: { devices: DeviceSet } }).machine.devices.console;
    consoleDevice.onByte = (byte) => {
      if (!isMultiGuest) {
        output.push(byte);
        if (output.length >= OUTPUT_CHUNK) flush();
        return;
      }
      const line = pendingLine.get(index) ?? [];
      line.push(byte);
      pendingLine.set(index, line);
      if (byte === 10 || line.length >= OUTPUT_CHUNK) {
        emitLine(index, line, byte === 10);
        pendingLine.set(index, []);
      }
    };
  }
  const result = system.run();
  for (const [index, line] of pendingLine) if (line.length || isMidLine.has(index)) emitLine(index, [...line, 10], true);
  flush();
  const traceError = trace?.close();
  if (traceError) io.stderr(`hyperstep: the trace in ${options.traceFile} is incomplete: ${traceError}\n`);
  const view = system.guest(isMultiGuest ? 0 : 0);
  if (result.reason !== 'halted') {
    io.stderr(`hyperstep: ${result.detail}${isMultiGuest ? '' : ` (pc ${hexWord(view.pc)}, after ${view.retired} instructions)`}\n`);
    const sourceOf = sourceOfGuest(load);
    const hints = explainStop(system, result, sourceOf);
    if (result.reason === 'instruction-limit' && !isMultiGuest && view.console.length === 0) hints.push(...probeSpin(() => createSystem(systemOptions), view.ticks, sourceOf));
    for (const hint of hints) io.stderr(`  ${hint}\n`);
  }
  // A double fault the guest survived is still a kernel mistake worth naming.
  const failure = system.cpu.deliveryFailure;
  if (failure && result.reason !== 'triple-fault' && result.reason !== 'bus-error') io.stderr(`hyperstep: note: the guest took a double fault: ${explainDeliveryFailure(failure)}\n`);
  if (counters) {
    // Each counter once: the machine's event counts, then the setting's (cr3 loads and TLB rows come from there).
    const rows: Array<[string, number]> = [
      ['instructions retired', isMultiGuest ? Array.from({ length: system.guestCount }, (_, i) => system.guest(i).retired).reduce((a, b) => a + b, 0) : view.retired],
      ['ticks', view.ticks],
      ...counters.rows(),
      ...system.costRows().filter(([name]) => name !== 'instructions retired'),
    ];
    io.stderr(formatRows(`costs (virtualization: ${system.settingName})`, rows));
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

export function main(argv: string[], rawIo: CliIo = nodeIo): number {
  const io: CliIo = { ...rawIo, stderr: (text) => rawIo.stderr(escapeForTerminal(text)) };
  const invocation = parseArgs(
    argv,
    (s) => io.stdout(s),
    (s) => io.stderr(s),
  );
  switch (invocation.command) {
    case 'exit':
      return invocation.status;
    case 'run':
      return runCommand(invocation.options, io);
    case 'asm':
      return asmCommand(invocation.options, io);
    case 'check':
      return checkCommand(invocation.options, { stdout: (s) => io.stdout(s), stderr: io.stderr, readFile: io.readFile });
  }
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}
