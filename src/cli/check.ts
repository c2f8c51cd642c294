// `hyperstep check LAB_FOLDER [--file GUEST.g32]`: prints one line per check of
// the lab (program expectations, then answers) and a summary on stdout. Exit
// status 0 when every check holds, 1 when one fails, 64 when the folder is not
// a lab.

import * as fs from 'fs';
import * as path from 'path';
import { checkLab, LabReport, measureLab } from '../labs/checkLab';
import { LabError } from '../labs/labDefinition';
import { measureLabel } from '../labs/measure';
import { EXIT } from './args';

export interface CheckOptions {
  folder: string;
  file?: string;
  answers?: string;
  isMeasurements?: boolean;
}

export interface CheckIo {
  stdout(text: string): void;
  stderr(text: string): void;
  readFile(file: string): string | undefined;
}

/** Exit status of `check` when a check fails. */
export const CHECK_FAILED = 1;

export function formatReport(report: LabReport): string {
  const { lab, results } = report;
  const lines = [`lab ${lab.number}: ${lab.title}`, `checking ${report.guestFile}`];
  for (const result of results) {
    const text = result.isOk ? `  ok    ${result.subject}: ${result.message}` : `  FAIL  lab ${lab.number}, ${result.subject}: ${result.message}`;
    lines.push(text);
  }
  const failed = results.filter((r) => !r.isOk).length;
  lines.push(failed === 0 ? `lab ${lab.number} passed: all ${results.length} checks hold` : `lab ${lab.number} not passed yet: ${failed} of ${results.length} checks failed`);
  return lines.join('\n') + '\n';
}

/** What a lab's reference guest measures in each run: every non-zero number, named as `--stats` names it. */
export function formatMeasurements(result: ReturnType<typeof measureLab>): string {
  const lines = [`lab ${result.lab.number}: ${result.lab.title}`, `measured on ${result.guest}`];
  for (const { run, label, window, measurement } of result.runs) {
    lines.push('', `run "${run}": ${label} (${measurement.setting}); ended with: ${measurement.stopDetail}`);
    if (!measurement.numbers) {
      lines.push(`  ${measurement.windowProblem}`);
      continue;
    }
    if (window) lines.push(`  counted ${window}`);
    const rows = [...measurement.numbers].filter(([, value]) => value !== 0).map(([key, value]) => [`${measureLabel(key)} (${key})`, value] as const);
    const width = Math.max(0, ...rows.map(([name]) => name.length));
    for (const [name, value] of rows) lines.push(`  ${name.padEnd(width)}  ${value}`);
  }
  return lines.join('\n') + '\n';
}

export function checkCommand(options: CheckOptions, io: CheckIo): number {
  if (io.readFile(path.join(options.folder, 'lab.json')) === undefined) {
    const why = fs.existsSync(options.folder) ? 'is not a lab folder (it has no lab.json)' : 'does not exist';
    io.stderr(`hyperstep: ${options.folder} ${why}; a lab is one of the folders of labs/, e.g. labs/01-privileged\n`);
    return EXIT.usage;
  }
  if (options.file !== undefined && io.readFile(options.file) === undefined) {
    io.stderr(`hyperstep: cannot read ${options.file}\n`);
    return EXIT.usage;
  }
  if (options.answers !== undefined && io.readFile(options.answers) === undefined) {
    io.stderr(`hyperstep: cannot read ${options.answers}\n`);
    return EXIT.usage;
  }
  let report: LabReport;
  try {
    if (options.isMeasurements) {
      io.stdout(formatMeasurements(measureLab(options.folder, io.readFile)));
      return EXIT.halted;
    }
    report = checkLab(options.folder, { readFile: io.readFile, guestFile: options.file, answersFile: options.answers });
  } catch (e) {
    if (e instanceof LabError) {
      io.stderr(`hyperstep: ${options.folder}: ${e.message}\n`);
      return EXIT.usage;
    }
    throw e;
  }
  io.stdout(formatReport(report));
  return report.results.every((r) => r.isOk) ? EXIT.halted : CHECK_FAILED;
}
