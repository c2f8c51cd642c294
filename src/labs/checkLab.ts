// `hyperstep check`: runs a student's guest under a lab's settings and checks
// its console output and counters, then checks the student's numeric answers
// against what the tool measures on the lab's reference guest. Every result is
// a sentence a student can act on: what was expected, what happened, a hint.

import * as path from 'path';
import { formatDiagnostic } from '../asm';
import { loadProgram, LoadError } from '../loader/program';
import { AnswersFile, parseAnswers } from './answers';
import { Comparison, LabDefinition, LabError, LabQuestion, parseLabDefinition, ProgramExpectation } from './labDefinition';
import { Measurement, measureRun } from './measure';

export interface CheckResult {
  isOk: boolean;
  /** "program" or "question 2 (hidden_first)". */
  subject: string;
  /** One or more sentences; for a failure: what was expected, what happened, and a hint. */
  message: string;
}

export interface LabReport {
  lab: LabDefinition;
  /** The student's guest as given (relative to where the command ran, or to the lab). */
  guestFile: string;
  results: CheckResult[];
}

export interface CheckOptions {
  readFile(file: string): string | undefined;
  /** The student's guest instead of the lab's own. */
  guestFile?: string;
  /** The answers file instead of the lab's own (a grader checking a student's copy). */
  answersFile?: string;
}

/** Reads a lab folder's lab.json; a LabError says why the folder is not a lab. */
export function loadLab(folder: string, readFile: CheckOptions['readFile']): LabDefinition {
  const source = readFile(path.join(folder, 'lab.json'));
  if (source === undefined) throw new LabError(`${folder} is not a lab folder: it has no lab.json`);
  return parseLabDefinition(source, path.basename(path.resolve(folder)));
}

type Loaded = { image: NonNullable<ReturnType<typeof loadProgram>['guests'][0]['image']>; name: string } | { errors: string[] };

function loadGuest(file: string, readFile: CheckOptions['readFile']): Loaded {
  try {
    const load = loadProgram(file, { readFile });
    const guest = load.guests[0];
    if (load.failed.length > 0) return { errors: guest.assembled.diagnostics.map((d) => formatDiagnostic({ ...d, file: path.relative(process.cwd(), d.file) || d.file })) };
    return { image: guest.image, name: guest.name };
  } catch (e) {
    if (e instanceof LoadError) return { errors: [e.message] };
    throw e;
  }
}

export interface RunMeasurement {
  run: string;
  label: string;
  window: string | undefined;
  measurement: Measurement;
}

/** Every run of a lab on its reference guest, for a teacher writing answers (`check --measurements`). */
export function measureLab(folder: string, readFile: CheckOptions['readFile']): { lab: LabDefinition; guest: string; runs: RunMeasurement[] } {
  const lab = loadLab(folder, readFile);
  const reference = loadGuest(path.join(folder, lab.reference), readFile);
  if ('errors' in reference) throw new LabError(`the lab's reference guest ${lab.reference} does not assemble: ${reference.errors.join('; ')}`);
  const runs = Object.entries(lab.runs).map(([run, definition]) => ({
    run,
    label: definition.label,
    window: definition.window?.label,
    measurement: measureRun({ name: reference.name, image: reference.image }, definition),
  }));
  return { lab, guest: path.join(folder, lab.reference), runs };
}

export function checkLab(folder: string, options: CheckOptions): LabReport {
  const lab = loadLab(folder, options.readFile);
  const guestFile = options.guestFile ?? path.join(folder, lab.guest);
  const measurements = new Map<string, Measurement>();
  const measure = (file: string, loaded: Loaded, runName: string): Measurement | string[] => {
    if ('errors' in loaded) return loaded.errors;
    const key = `${path.resolve(file)}\n${runName}`;
    let measurement = measurements.get(key);
    if (!measurement) {
      measurement = measureRun({ name: loaded.name, image: loaded.image }, lab.runs[runName]);
      measurements.set(key, measurement);
    }
    return measurement;
  };

  const results: CheckResult[] = [];
  if (lab.program.length > 0) {
    const student = loadGuest(guestFile, options.readFile);
    if ('errors' in student) {
      results.push({ isOk: false, subject: 'program', message: `your guest ${guestFile} does not assemble:\n${student.errors.map((e) => `    ${e}`).join('\n')}` });
    } else {
      for (const expectation of lab.program) results.push(...checkProgram(lab, expectation, measure(guestFile, student, expectation.run) as Measurement));
    }
  }

  if (lab.questions.length > 0) {
    const answersFile = options.answersFile ?? path.join(folder, lab.answers);
    const source = options.readFile(answersFile);
    if (source === undefined) throw new LabError(`cannot read ${answersFile}, the lab's answers file`);
    const answers = parseAnswers(source);
    for (const problem of answers.problems) results.push({ isOk: false, subject: 'answers', message: `${lab.answers}, ${problem}` });
    const references = new Map<string, Loaded>();
    lab.questions.forEach((question, index) => {
      const file = path.join(folder, question.guest);
      let reference = references.get(file);
      if (!reference) {
        reference = loadGuest(file, options.readFile);
        references.set(file, reference);
      }
      const measured = measure(file, reference, question.run);
      if (Array.isArray(measured)) throw new LabError(`the lab's reference guest ${question.guest} does not assemble: ${measured.join('; ')}`);
      results.push(checkQuestion(lab, question, index + 1, answers, measured));
    });
  }
  return { lab, guestFile, results };
}

function settingWords(lab: LabDefinition, runName: string, measurement: Measurement): string {
  const label = lab.runs[runName].label;
  return measurement.setting.startsWith(label) ? measurement.setting : `${label} (${measurement.setting})`;
}

const STOP_WORDS: Record<string, string> = {
  halted: 'machine halted',
  'triple-fault': 'a triple fault',
  'bus-error': 'a bus error',
  'instruction-limit': 'the instruction limit',
  'exception-loop': 'an exception loop',
};

/** Console text as a quoted string, cut short when a runaway guest printed pages of it. */
function quote(text: string): string {
  const LIMIT = 300;
  return text.length <= LIMIT ? JSON.stringify(text) : `${JSON.stringify(text.slice(0, LIMIT))}… (${text.length - LIMIT} more bytes)`;
}

function describeComparison(comparison: Comparison): string {
  if ('equals' in comparison) return `exactly ${comparison.equals}`;
  if (comparison.atLeast !== undefined && comparison.atMost !== undefined) return `between ${comparison.atLeast} and ${comparison.atMost}`;
  return comparison.atLeast !== undefined ? `at least ${comparison.atLeast}` : `at most ${comparison.atMost}`;
}

function holds(comparison: Comparison, value: number): boolean {
  if ('equals' in comparison) return value === comparison.equals;
  return (comparison.atLeast === undefined || value >= comparison.atLeast) && (comparison.atMost === undefined || value <= comparison.atMost);
}

function measureValue(measurement: Measurement, name: string, where: string): number {
  if (!measurement.numbers) throw new LabError(`${where}: ${measurement.windowProblem}`);
  const value = measurement.numbers.get(name);
  if (value !== undefined) return value;
  // Counters that never happened (an exception vector, an event kind) are simply zero.
  if (name.startsWith('exceptions.') || name.startsWith('events.')) return 0;
  const known = [...measurement.numbers.keys()].filter((k) => !k.includes('.')).join(', ');
  throw new LabError(`${where}: "${name}" is not a measure under ${measurement.setting}; known: ${known}, exceptions.N, events.KIND`);
}

/** The first line where two texts differ, for a console mismatch. */
function firstDifference(expected: string, actual: string): string {
  const want = expected.split('\n');
  const got = actual.split('\n');
  for (let i = 0; i < want.length; i++) {
    if (want[i] !== got[i]) {
      return got[i] === undefined ? `line ${i + 1} ${quote(want[i])} never came` : `line ${i + 1} should be ${quote(want[i])} but is ${quote(got[i])}`;
    }
  }
  return `after the expected text it also printed ${quote(got.slice(want.length).join('\n'))}`;
}

function checkProgram(lab: LabDefinition, expectation: ProgramExpectation, measurement: Measurement): CheckResult[] {
  const results: CheckResult[] = [];
  const under = `under ${settingWords(lab, expectation.run, measurement)}`;
  const hint = expectation.hint ? ` Hint: ${expectation.hint}` : '';
  const ending = measurement.stop === 'halted' ? '' : ` The run ended with: ${measurement.stopDetail}.`;
  if (expectation.console !== undefined) {
    const isOk = measurement.console === expectation.console;
    results.push({
      isOk,
      subject: 'program',
      message: isOk
        ? `${under}, your guest prints the expected console output`
        : `${under}, your guest should print ${quote(expectation.console)}; it printed ${quote(measurement.console)} (${firstDifference(expectation.console, measurement.console)}).${ending}${hint}`,
    });
  }
  if (expectation.stop !== undefined) {
    const isOk = measurement.stop === expectation.stop;
    results.push({
      isOk,
      subject: 'program',
      message: isOk
        ? `${under}, the run ends as expected (${STOP_WORDS[expectation.stop]})`
        : `${under}, the run should end with ${STOP_WORDS[expectation.stop]}; it ended with: ${measurement.stopDetail}.${hint}`,
    });
  }
  if (expectation.measure !== undefined && expectation.comparison) {
    const value = measureValue(measurement, expectation.measure, `lab ${lab.number}, program`);
    const isOk = holds(expectation.comparison, value);
    results.push({
      isOk,
      subject: 'program',
      message: isOk
        ? `${under}, ${expectation.what}: ${value} (${describeComparison(expectation.comparison)} expected)`
        : `${under}, your guest should cause ${describeComparison(expectation.comparison)} ${expectation.what}; it caused ${value}.${ending}${hint}`,
    });
  }
  return results;
}

function checkQuestion(lab: LabDefinition, question: LabQuestion, index: number, answers: AnswersFile, measurement: Measurement): CheckResult {
  const subject = `question ${index} (${question.key})`;
  const measured = measureValue(measurement, question.measure, `lab ${lab.number}, ${subject}`);
  const answer = answers.answers.get(question.key);
  const hint = question.hint ? ` Hint: ${question.hint}` : '';
  if (!answer || answer.value === undefined) {
    return { isOk: false, subject, message: `not answered yet: write your prediction of ${question.what} as "${question.key}: N" in ${lab.answers}. (${question.text})` };
  }
  if (!Number.isSafeInteger(answer.value)) {
    return { isOk: false, subject, message: `${lab.answers} line ${answer.line}: "${answer.raw}" is not a whole number; write the number of ${question.what}.` };
  }
  const isOk = Math.abs(answer.value - measured) <= question.tolerance;
  const tolerance = question.tolerance > 0 ? ` (within ${question.tolerance})` : '';
  return {
    isOk,
    subject,
    message: isOk
      ? `${measured} ${question.what}${tolerance}: your prediction ${answer.value} holds`
      : `you predicted ${answer.value} ${question.what}; the tool measured ${measured} under ${settingWords(lab, question.run, measurement)}.${hint}`,
  };
}
