// Turns what a user points at (a .g32 file or a machine description) into
// assembled guests ready for createSystem, collecting every assembly error.
// Both the command line and the debug adapter load programs through here.

import * as path from 'path';
import { assemble, AssembleResult, SourceRead } from '../asm';
import { SystemGuest } from '../hypervisor/system';
import { TimedInput } from '../machine/devices/keyboard';
import { nodeIncludePaths } from './includePaths';
import { MachineDescription, parseMachineDescription } from './machineDescription';

export interface LoadedGuest extends SystemGuest {
  program: string;
  assembled: AssembleResult;
}

export interface LoadResult {
  guests: LoadedGuest[];
  description: MachineDescription | undefined;
  /** Every assembly error of every guest; no guest is runnable if this is non-empty. */
  failed: LoadedGuest[];
}

export interface LoadOptions {
  /** The guarded reader of sourceFile.ts, or an editor's view of it (open documents first). */
  readSourceFile?(file: string): SourceRead;
  /** For in-memory readers: the text, or undefined when there is none. One of the two readers is needed. */
  readFile?(file: string): string | undefined;
  /** For a single .g32 program. */
  memory?: number;
  inputs?: TimedInput[];
}

/** Loads `file`: a .json machine description, or a single .g32 program. Throws ConfigError for bad descriptions. */
export function loadProgram(file: string, loadOptions: LoadOptions): LoadResult {
  const options = { ...loadOptions, readSourceFile: sourceReaderOf(loadOptions) };
  const absolute = path.resolve(file);
  if (absolute.toLowerCase().endsWith('.json')) {
    const read = options.readSourceFile(absolute);
    if (!('text' in read)) throw new LoadError(`cannot read ${file}: ${read.error}`);
    const description = parseMachineDescription(read.text, absolute);
    const guests = description.guests.map((g) => assembleGuest(g.name, g.program, g.memory, g.inputs, options, `guest "${g.name}": `));
    return { guests, description, failed: guests.filter((g) => !g.assembled.image) };
  }
  const guest = assembleGuest(path.basename(absolute, '.g32'), absolute, options.memory, options.inputs ?? [], options, '');
  return { guests: [guest], description: undefined, failed: guest.assembled.image ? [] : [guest] };
}

export class LoadError extends Error {}

function sourceReaderOf(options: LoadOptions): (file: string) => SourceRead {
  if (options.readSourceFile) return options.readSourceFile;
  const readFile = options.readFile;
  if (!readFile) throw new LoadError('no file reader given');
  return (file) => {
    const text = readFile(file);
    return text === undefined ? { error: 'no such file' } : { text };
  };
}

function assembleGuest(name: string, program: string, memory: number | undefined, inputs: TimedInput[], options: { readSourceFile(file: string): SourceRead }, whose: string): LoadedGuest {
  const read = options.readSourceFile(program);
  if (!('text' in read)) throw new LoadError(`${whose}cannot read ${program}: ${read.error}`);
  // The program was just read: the assembler gets it from here instead of reading it twice.
  const assembled = assemble(program, { readSourceFile: (file) => (file === program ? read : options.readSourceFile(file)), includePaths: nodeIncludePaths });
  return { name, program, assembled, image: assembled.image ?? { chunks: [], entry: 0 }, memory, inputs };
}
