// Command-line parsing for `hyperstep`, on commander. Everything is parsed once
// here into typed options; a bad value becomes a UsageError (exit status 64).

import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { PAGE_SIZE } from '../machine/isa';
import { TimedInput } from '../machine/devices/keyboard';
import { MAX_MEMORY_BYTES } from '../machine/memory';
import { MAX_TLB_ENTRIES } from '../machine/tlb';

export const EXIT = {
  halted: 0,
  assemblyError: 1,
  tripleFault: 2,
  busError: 3,
  instructionLimit: 4,
  exceptionLoop: 5,
  /** `--compare` found a divergence from bare hardware. */
  divergence: 6,
  /** `--show --at EVENT`: the run ended before the event happened (the tables show the end). */
  showPointNotReached: 7,
  usage: 64,
} as const;

export class UsageError extends Error {}

import { KERNEL_SHADOWS, KernelShadows, PAGING_SETTINGS, PagingSetting, Virtualization, VIRTUALIZATIONS } from '../hypervisor/settings';
import { parseAt, parseShow, ShowPoint, ShowTable } from './showTables';
import { TRANSLATION_THRESHOLD } from '../hypervisor/binaryTranslate/engine';

export interface RunOptions {
  file: string;
  inputs: TimedInput[];
  memory?: number;
  tlbEntries?: number;
  maxInstructions?: number;
  /** Undefined when not given: a machine description's own setting, else 'none'. */
  virtualization?: Virtualization;
  paging?: PagingSetting;
  kernelShadows?: KernelShadows;
  isStats: boolean;
  traceFile?: string;
  /** Run under bare hardware and the chosen setting in lockstep and report the first divergence. */
  isCompare: boolean;
  /** `--cost-model`: a profile name (first-gen, modern) or a JSON file of costs. */
  costModelFile?: string;
  /** Binary translation: runs of a block before it is translated (0 or 1: on first sight). */
  translationThreshold?: number;
  /** Tables to print instead of the console (`--show`), and when (`--at`; default the end of the run). */
  show?: { tables: ShowTable[]; point: ShowPoint };
}

export interface AsmOptions {
  file: string;
  isListing: boolean;
}

export interface CheckArgs {
  folder: string;
  file?: string;
  answers?: string;
  isMeasurements: boolean;
}

export type Invocation = { command: 'run'; options: RunOptions } | { command: 'asm'; options: AsmOptions } | { command: 'check'; options: CheckArgs } | { command: 'exit'; status: number };

function parseCount(name: string, min: number, max: number) {
  return (text: string): number => {
    if (!/^(0x[0-9a-f]+|\d+)$/i.test(text.trim())) throw new InvalidArgumentError(`${name} must be a whole number, got '${text}'`);
    const value = Number(text.trim());
    if (!Number.isSafeInteger(value) || value < min || value > max) throw new InvalidArgumentError(`${name} must be from ${min} to ${max}, got ${text}`);
    return value;
  };
}

function parseInputAt(text: string, previous: TimedInput[] = []): TimedInput[] {
  const colon = text.indexOf(':');
  if (colon <= 0) throw new InvalidArgumentError(`expected TICK:TEXT, got '${text}'`);
  const tick = parseCount('TICK', 0, Number.MAX_SAFE_INTEGER)(text.slice(0, colon));
  return [...previous, { tick, bytes: Buffer.from(text.slice(colon + 1), 'utf8') }];
}

/** Parses argv (without node and script); writes help and errors to the given streams. */
export function parseArgs(argv: string[], out: (s: string) => void, err: (s: string) => void): Invocation {
  let invocation: Invocation | undefined;
  const program = new Command('hyperstep')
    .description('Run and assemble G32 programs on a simulated machine and hypervisor.')
    .configureOutput({ writeOut: out, writeErr: err })
    .exitOverride()
    .showHelpAfterError();

  program
    .command('run')
    .description('assemble FILE.g32 and run it; stdout carries exactly what the guest prints')
    .argument('[file]', 'the .g32 program (its .entry label or _start is where it begins)')
    .option('--input <text>', 'keyboard input available at tick 0 (literal bytes)')
    .option('--input-at <tick:text>', 'keyboard input arriving at TICK (repeatable)', parseInputAt)
    .option('--memory <bytes>', `RAM size in bytes, a multiple of ${PAGE_SIZE}`, parseCount('--memory', PAGE_SIZE, MAX_MEMORY_BYTES))
    .option('--tlb-entries <n>', 'TLB entries (0 = no TLB)', parseCount('--tlb-entries', 0, MAX_TLB_ENTRIES))
    .option('--max-instructions <n>', 'stop after N retired instructions (default 10000000)', parseCount('--max-instructions', 1, Number.MAX_SAFE_INTEGER))
    .addOption(new Option('--virtualization <setting>', 'how the guest runs (default none)').choices([...VIRTUALIZATIONS]))
    .addOption(
      new Option('--paging <setting>', 'how guest page tables are virtualized (default: nested under hardware-assist, shadow-on-demand otherwise; no effect under none)').choices([...PAGING_SETTINGS]),
    )
    .addOption(new Option('--kernel-shadows <setting>', 'pretend-kernel and pretend-user shadows (default separate; no effect under none or hardware-assist)').choices([...KERNEL_SHADOWS]))
    .option('--machine <file.json>', 'run the guests of a machine description instead of FILE')
    .option('--compare', 'run bare hardware and the chosen setting in lockstep; report the first divergence on stdout (exit status 6 if there is one, 0 if none)')
    .option('--cost-model <profile|file.json>', 'cycle costs: first-gen (2006 hardware, the default) or modern, or a JSON file of costs to override ("profile" picks its base)')
    .option(
      '--translation-threshold <n>',
      `binary translation: runs of a block before it is translated; until then it is interpreted (default ${TRANSLATION_THRESHOLD}; 0 or 1: translate on first sight)`,
      parseCount('--translation-threshold', 0, 1_000_000_000),
    )
    .option('--stats', 'print cost counters on stderr when the run ends')
    .option('--trace <file.jsonl>', 'write every machine and hypervisor event to FILE as JSON lines')
    .option('--show <tables>', 'print tables on stdout instead of the console output: page-tables (= guest,map,shadows), guest, map, shadows, tlb, all')
    .option('--at <tick|event>', 'with --show: stop at TICK, or after the first EVENT (an exception filter id such as hidden-page-fault, cr3-load; EVENT#N for the Nth)')
    .addHelpText(
      'after',
      '\nExit status: 0 halted, 1 assembly error, 2 triple fault, 3 bus error, 4 instruction limit, 5 exception loop,\n6 --compare found a divergence, 7 --show --at: the run ended before the point, 64 bad usage.',
    )
    .action((fileArg: string | undefined, o: Record<string, unknown>) => {
      const file = (o.machine as string | undefined) ?? fileArg;
      if (!file) throw new UsageError('run needs FILE.g32 or --machine FILE.json');
      if (o.machine && fileArg) throw new UsageError('give either FILE.g32 or --machine FILE.json, not both');
      if (o.memory !== undefined && (o.memory as number) % PAGE_SIZE !== 0) throw new UsageError(`--memory must be a multiple of ${PAGE_SIZE}`);
      const inputs: TimedInput[] = [];
      if (typeof o.input === 'string') inputs.push({ tick: 0, bytes: Buffer.from(o.input, 'utf8') });
      inputs.push(...((o.inputAt as TimedInput[] | undefined) ?? []));
      if (o.at !== undefined && o.show === undefined) throw new UsageError('--at needs --show (which tables to print at that point)');
      let show: RunOptions['show'];
      try {
        if (typeof o.show === 'string') show = { tables: parseShow(o.show), point: typeof o.at === 'string' ? parseAt(o.at) : { kind: 'end' } };
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      invocation = {
        command: 'run',
        options: {
          file,
          inputs,
          memory: o.memory as number | undefined,
          tlbEntries: o.tlbEntries as number | undefined,
          maxInstructions: o.maxInstructions as number | undefined,
          virtualization: o.virtualization as Virtualization | undefined,
          paging: o.paging as PagingSetting | undefined,
          kernelShadows: o.kernelShadows as KernelShadows | undefined,
          isStats: o.stats === true,
          traceFile: o.trace as string | undefined,
          isCompare: o.compare === true,
          costModelFile: o.costModel as string | undefined,
          show,
          translationThreshold: o.translationThreshold as number | undefined,
        },
      };
    });

  program
    .command('asm')
    .description('assemble FILE.g32; report every error, or print a listing')
    .argument('<file>', 'the .g32 program')
    .option('--listing', 'print address, bytes and source for every statement')
    .action((file: string, o: Record<string, unknown>) => {
      invocation = { command: 'asm', options: { file, isListing: o.listing === true } };
    });

  program
    .command('check')
    .description("check a lab: run your guest under the lab's settings and compare your answers with what the tool measures (exit 0 all hold, 1 a check failed)")
    .argument('<lab-folder>', 'a folder of labs/ (it holds lab.json)')
    .option('--file <guest.g32>', "check this guest instead of the lab's own")
    .option('--answers <answers.txt>', "read the answers from this file instead of the lab's own")
    .option('--measurements', "check nothing: print every number the lab's reference guest measures in each run (for teachers)")
    .action((folder: string, o: Record<string, unknown>) => {
      invocation = { command: 'check', options: { folder, file: o.file as string | undefined, answers: o.answers as string | undefined, isMeasurements: o.measurements === true } };
    });

  if (argv.length === 0) {
    // No command is bad usage (status 64), not a request for help.
    err(program.helpInformation());
    return { command: 'exit', status: EXIT.usage };
  }
  try {
    program.parse(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof UsageError) {
      err(`error: ${e.message}\n`);
      return { command: 'exit', status: EXIT.usage };
    }
    if (e instanceof CommanderError) {
      const isHelp = e.code === 'commander.helpDisplayed' || e.code === 'commander.help' || e.code === 'commander.version';
      return { command: 'exit', status: isHelp ? 0 : EXIT.usage };
    }
    throw e;
  }
  if (!invocation) {
    err(program.helpInformation());
    return { command: 'exit', status: EXIT.usage };
  }
  return invocation;
}
