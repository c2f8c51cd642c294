// Figures the documents quote from the tool, computed by running it. A
// document marks each one `<!-- gen:SPEC -->figure<!-- /gen -->` and
// scripts/genDocs.ts rewrites what is between the marks; SPEC names what to
// compute (the cases of `figure` below). Runs are memoized: a document quoting
// twenty counters of one run runs it once.

import * as fs from 'fs';
import * as path from 'path';
import { COST_PROFILE_NAMES, COST_PROFILES, CostModel, CostProfileName } from '../src/hypervisor/costs';
import { HypervisorEvent } from '../src/hypervisor/events';
import { createSystem, SettingChoice, VirtualSystem } from '../src/hypervisor/system';
import { MachineCounters } from '../src/machine/counters';
import { main as cliMain, nodeIo } from '../src/cli/main';
import { microProfileCell, microProfilesTableText } from './benchTable';
import { measureReadWindow, ReadWindow } from './classicExercise';
import { DEMO_INPUT, demoImage, DemoGuest, demoTableText, ROOT } from './demoTable';
import { labAnswer, labExpectation, labFailExample } from './labFigures';
import { inputWindow, pvBoot, PvBoot, timeline } from './osScenario';
import { pvPatch, pvPatchLines } from './pvPatch';

interface StatsRun {
  rows: Map<string, number>;
  order: string[];
  gpByInstruction: Map<string, number>;
  hypercallsByInstruction: Map<string, number>;
  system: VirtualSystem;
}

const runs = new Map<string, StatsRun>();

/** One run of examples/os or os-pv with 'k' at tick 2000: every `--stats` row, and the #GP traps by instruction. */
function statsRun(guest: DemoGuest, virtualization: string, paging: string | undefined): StatsRun {
  const key = `${guest} ${virtualization} ${paging}`;
  let run = runs.get(key);
  if (run) return run;
  const setting = (virtualization === 'none' ? { virtualization } : { virtualization, paging, kernelShadows: virtualization === 'hardware-assist' ? undefined : 'separate' }) as SettingChoice;
  const system = createSystem({ ...setting, guests: [{ name: guest, image: demoImage(guest), inputs: [DEMO_INPUT] }] });
  const counters = new MachineCounters(system.events);
  const gpByInstruction = new Map<string, number>();
  const hypercallsByInstruction = new Map<string, number>();
  system.hvEvents?.on((event: HypervisorEvent) => {
    if (event.kind === 'hypercall') hypercallsByInstruction.set(event.instruction, (hypercallsByInstruction.get(event.instruction) ?? 0) + 1);
    if (event.kind !== 'protection-fault') return;
    const mnemonic = event.instruction.split(/\s+/)[0] + (/^mov (cr3|evt|ksp),/.test(event.instruction) ? ` ${event.instruction.split(/[\s,]+/)[1]}` : '');
    gpByInstruction.set(mnemonic, (gpByInstruction.get(mnemonic) ?? 0) + 1);
  });
  const result = system.run();
  if (result.reason !== 'halted') throw new Error(`${key}: ${result.detail}`);
  const view = system.guest(0);
  // The rows of `hyperstep run --stats`, in its order.
  const pairs: Array<[string, number]> = [['instructions retired', view.retired], ['ticks', view.ticks], ...counters.rows(), ...system.costRows().filter(([name]) => name !== 'instructions retired')];
  run = { rows: new Map(pairs), order: pairs.map(([name]) => name), gpByInstruction, hypercallsByInstruction, system };
  runs.set(key, run);
  return run;
}

function grouped(value: number): string {
  return value.toLocaleString('en-US');
}

/** `| label | a | b | c |` rows of --stats for several runs; rows 0 in every run are left out. */
function statsTable(title: string, columns: Array<{ heading: string; run: StatsRun }>): string {
  const labels: string[] = [];
  for (const { run } of columns) for (const label of run.order) if (!labels.includes(label)) labels.push(label);
  const lines = [`| ${title} | ${columns.map((c) => c.heading).join(' | ')} |`, `| --- | ${columns.map(() => '---:').join(' | ')} |`];
  for (const label of labels) {
    const values = columns.map((c) => c.run.rows.get(label) ?? 0);
    if (values.every((v) => v === 0)) continue;
    lines.push(`| ${label} | ${values.join(' | ')} |`);
  }
  return lines.join('\n');
}

function costTable(): string {
  const keys = Object.keys(COST_PROFILES['first-gen']) as Array<keyof CostModel>;
  const lines = [`| key | ${COST_PROFILE_NAMES.join(' | ')} |`, `| --- | ${COST_PROFILE_NAMES.map(() => '---:').join(' | ')} |`];
  for (const key of keys) lines.push(`| ${key} | ${COST_PROFILE_NAMES.map((p) => grouped(COST_PROFILES[p][key])).join(' | ')} |`);
  return lines.join('\n');
}

const windows = new Map<string, ReadWindow>();

function classicWindow(paging: string, kernelShadows: string): ReadWindow {
  const key = `${paging} ${kernelShadows}`;
  let window = windows.get(key);
  if (!window) {
    window = measureReadWindow({ virtualization: 'trap-and-emulate', paging, kernelShadows } as SettingChoice);
    windows.set(key, window);
  }
  return window;
}

const CLASSIC_COLUMNS: Array<[string, keyof ReadWindow['counters']]> = [
  ['guest cr3 loads', 'guestCr3Loads'],
  ['real cr3 loads', 'realCr3Loads'],
  ['real TLB flushes', 'realTlbFlushes'],
  ['shadow drops', 'shadowDrops'],
  ['hidden page faults', 'hiddenPageFaults'],
  ['#GP traps', 'trapsProtectionFault'],
  ['#PF traps', 'trapsPageFault'],
];

/** docs/page-table-switches.md's table: the read window under each shadow setting. */
function classicTable(): string {
  const lines = [`| paging | kernelShadows | ${CLASSIC_COLUMNS.map(([title]) => title).join(' | ')} |`, `| --- | --- | ${CLASSIC_COLUMNS.map(() => '---').join(' | ')} |`];
  for (const paging of ['shadow-on-demand', 'shadow-proactive']) {
    for (const kernelShadows of ['separate', 'flush-on-switch']) {
      const counters = classicWindow(paging, kernelShadows).counters;
      lines.push(`| ${paging} | ${kernelShadows} | ${CLASSIC_COLUMNS.map(([, key]) => counters[key]).join(' | ')} |`);
    }
  }
  return lines.join('\n');
}

/** What `hyperstep ARGS` prints on stdout, run in-process from the repository's root. */
function cliStdout(args: string[]): string {
  let out = '';
  const cwd = process.cwd();
  process.chdir(ROOT);
  try {
    cliMain(args, {
      ...nodeIo,
      stdout: (data) => {
        out += typeof data === 'string' ? data : Buffer.from(data).toString('latin1');
      },
      stderr: () => undefined,
    });
  } finally {
    process.chdir(cwd);
  }
  return out;
}

function fenced(text: string, language = 'text'): string {
  return `\n\`\`\`${language}\n${text.trimEnd()}\n\`\`\`\n`;
}

const PV_BOOT_FIGURES: Record<string, keyof PvBoot> = {
  hypercalls: 'hypercalls',
  writes: 'writes',
  'kernel-map': 'kernelMapWrites',
  queueing: 'queueingInstructions',
};

/**
 * The figure a SPEC names. Words are separated by spaces; a label (the rest of
 * the SPEC) may contain spaces:
 * - `stat GUEST VIRT PAGING LABEL` — one `--stats` row (`statc`: with thousands separators);
 * - `stats-table PAGING` — docs/paravirtual.md's three-column table;
 * - `gp-list GUEST VIRT PAGING` — the #GP traps by instruction; `hypercall-list GUEST VIRT PAGING` — the hypercalls;
 * - `cycles GUEST VIRT PAGING PROFILE` — estimated cycles under a profile;
 * - `micro PROFILE OPERATION COLUMN` — one cell of the per-operation table;
 * - `cost PROFILE KEY` — one constant of the cost model; `cost-table` — all of them;
 * - `classic-table`, `classic PAGING KERNELSHADOWS COUNTER` — the read window of docs/page-table-switches.md;
 * - `read-tick GUEST VIRT` — the tick of user1's `read` system call (scripts/osScenario.ts; VIRT runs
 *   with on-demand, separate shadows); `read-tick-extra GUEST VIRT` — how much later than in examples/os
 *   on bare hardware; `switch-tick GUEST VIRT` — the tick of the kernel's switch to user2;
 *   `bytes-before-read GUEST VIRT` — console bytes printed before that `read`; `read-condition GUEST VIRT` —
 *   the condition `ticks > N`, N round, that stops a syscall filter at that `read` and no earlier;
 * - `retired GUEST VIRT key|none` — instructions retired, with the key at 2000 or without input;
 * - `input-window GUEST VIRT first|last` — the input ticks that give the README's output;
 * - `pv-boot hypercalls|writes|kernel-map|queueing` — os-pv's page-table writes at boot, in a VM;
 * - `pv-patch` — `diff -ru examples/os examples/os-pv`; `pv-patch-files`, `pv-patch-lines +|- [FILE [comments]]`,
 *   `lines FILE` — its changed files, its lines, a file's lines;
 * - `lab-expect LAB MEASURE` — what lab.json expects of the student's program ("exactly 6");
 *   `lab-answer LAB KEY` — what the tool measures for a question; `lab-fail LAB KEY` — check's report
 *   of a wrong answer;
 * - `cli ARGS` — what `hyperstep ARGS` prints on stdout (in a code block); `cli-comment INDENT ARGS` — the
 *   same as .g32 comment lines, for an example's header;
 * - `demo-table`, `micro-table` — `npm run demo`'s table (without wall time), `npm run bench`'s per-profile table.
 */
export function figure(spec: string): string {
  const words = spec.trim().split(/\s+/);
  const [kind] = words;
  const paging = (word: string) => (word === '-' ? undefined : word);
  switch (kind) {
    case 'stat':
    case 'statc': {
      const [, guest, virtualization, pagingWord, ...label] = words;
      const run = statsRun(guest as DemoGuest, virtualization, paging(pagingWord));
      const value = run.rows.get(label.join(' '));
      if (value === undefined) throw new Error(`no --stats row '${label.join(' ')}' (${spec})`);
      return kind === 'statc' ? grouped(value) : String(value);
    }
    case 'cycles': {
      const [, guest, virtualization, pagingWord, profile] = words;
      const model = COST_PROFILES[profile as CostProfileName];
      if (!model) throw new Error(`unknown profile in ${spec}`);
      return grouped(statsRun(guest as DemoGuest, virtualization, paging(pagingWord)).system.estimatedCycles(model));
    }
    case 'gp-list':
    case 'hypercall-list': {
      const [, guest, virtualization, pagingWord] = words;
      const run = statsRun(guest as DemoGuest, virtualization, paging(pagingWord));
      const counts = [...(kind === 'gp-list' ? run.gpByInstruction : run.hypercallsByInstruction)].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
      return counts.map(([mnemonic, n]) => `${n} \`${mnemonic}\``).join(', ');
    }
    case 'stats-table': {
      const p = words[1];
      return `\n${statsTable(p, [
        { heading: 'os, trap-and-emulate', run: statsRun('os', 'trap-and-emulate', p) },
        { heading: 'os-pv, trap-and-emulate', run: statsRun('os-pv', 'trap-and-emulate', p) },
        { heading: 'os-pv, paravirtual', run: statsRun('os-pv', 'paravirtual', p) },
      ])}\n`;
    }
    case 'cost': {
      const model = COST_PROFILES[words[1] as CostProfileName];
      const value = model?.[words[2] as keyof CostModel];
      if (value === undefined) throw new Error(`unknown cost ${spec}`);
      return grouped(value);
    }
    case 'micro': {
      const [, profile, ...rest] = words;
      if (!COST_PROFILES[profile as CostProfileName]) throw new Error(`unknown profile in ${spec}`);
      return microProfileCell(profile as CostProfileName, rest.slice(0, -1).join(' '), rest[rest.length - 1]);
    }
    case 'classic-table':
      return `\n${classicTable()}\n`;
    case 'classic': {
      const [, pagingWord, kernelShadows, key] = words;
      const window = classicWindow(pagingWord, kernelShadows);
      const value = key === 'modeSwitches' ? window.modeSwitches : window.counters[key as keyof ReadWindow['counters']];
      if (value === undefined) throw new Error(`unknown counter in ${spec}`);
      return String(value);
    }
    case 'read-tick':
      return String(timeline(words[1] as DemoGuest, words[2]).readTick);
    case 'read-tick-extra':
      return String(timeline(words[1] as DemoGuest, words[2]).readTick - timeline('os', 'none').readTick);
    case 'switch-tick': {
      const tick = timeline(words[1] as DemoGuest, words[2]).switchTick;
      if (tick === undefined) throw new Error(`${spec}: the kernel never switched to user2`);
      return String(tick);
    }
    case 'read-condition': {
      // A round tick after every earlier system call and before the read: `ticks > N` stops at the read.
      const { readTick, syscallBeforeRead } = timeline(words[1] as DemoGuest, words[2]);
      const round = Math.floor((readTick - 1) / 100) * 100;
      if (round < syscallBeforeRead) throw new Error(`${spec}: no round tick between the system call at ${syscallBeforeRead} and the read at ${readTick}`);
      return `\`ticks > ${round}\``;
    }
    case 'bytes-before-read':
      return String(timeline(words[1] as DemoGuest, words[2]).bytesBeforeRead);
    case 'retired': {
      const input = words[3] === 'none' ? 'none' : words[3] === 'key' ? DEMO_INPUT.tick : undefined;
      if (input === undefined) throw new Error(`${spec}: the input is 'key' or 'none'`);
      return grouped(timeline(words[1] as DemoGuest, words[2], input).retired);
    }
    case 'input-window': {
      const window = inputWindow(words[1] as DemoGuest, words[2]);
      if (words[3] !== 'first' && words[3] !== 'last') throw new Error(`${spec}: first or last?`);
      return String(window[words[3]]);
    }
    case 'pv-boot': {
      const key = PV_BOOT_FIGURES[words[1]];
      if (!key) throw new Error(`unknown figure '${spec}'`);
      return String(pvBoot()[key]);
    }
    case 'pv-patch':
      return fenced(pvPatch(), 'diff');
    case 'pv-patch-files':
      return String(
        pvPatch()
          .split('\n')
          .filter((line) => line.startsWith('diff ')).length,
      );
    case 'pv-patch-lines': {
      const [, sign, file, comments] = words;
      if (sign !== '+' && sign !== '-') throw new Error(`${spec}: + or -?`);
      return String(pvPatchLines(sign, file, comments === 'comments'));
    }
    case 'lines':
      return String(fs.readFileSync(path.join(ROOT, words[1]), 'utf8').split('\n').length - 1);
    case 'lab-expect':
      return labExpectation(words[1], words[2]);
    case 'lab-answer':
      return String(labAnswer(words[1], words[2]));
    case 'lab-fail':
      return fenced(labFailExample(words[1], words[2]));
    case 'cli':
      return fenced(cliStdout(words.slice(1)));
    case 'cli-comment': {
      // Inside a .g32 comment: each line of the output a comment indented by INDENT, and the closing mark on a line of its own.
      const indent = ' '.repeat(Number(words[1]));
      const lines = cliStdout(words.slice(2)).trimEnd().split('\n');
      return `\n${lines.map((line) => `;${indent}${line}`).join('\n')}\n; `;
    }
    case 'cost-table':
      return `\n${costTable()}\n`;
    case 'demo-table':
      return fenced(demoTableText());
    case 'micro-table':
      return fenced(microProfilesTableText());
    default:
      throw new Error(`unknown figure '${spec}'`);
  }
}
