// The labs' figures for their READMEs (scripts/docFigures.ts): what a lab's
// check expects of the student's program (from its lab.json), the number the
// tool measures for a question, and what `hyperstep check` prints for a wrong
// answer. Computed by the same code as `hyperstep check`.

import * as fs from 'fs';
import * as path from 'path';
import { formatReport } from '../src/cli/check';
import { checkLab, loadLab } from '../src/labs/checkLab';
import { LabDefinition } from '../src/labs/labDefinition';
import { measureRun } from '../src/labs/measure';
import { loadProgram } from '../src/loader/program';
import { ROOT } from './demoTable';

function readFile(file: string): string | undefined {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
}

function labFolder(name: string): string {
  return path.join(ROOT, 'labs', name);
}

function lab(name: string): LabDefinition {
  return loadLab(labFolder(name), readFile);
}

/** "exactly 6" or "at least 20": the bound lab.json sets on a measure of the student's program. */
export function labExpectation(name: string, measure: string): string {
  const expectation = lab(name).program.find((p) => p.measure === measure);
  const comparison = expectation?.comparison;
  if (!comparison) throw new Error(`labs/${name}/lab.json expects nothing of ${measure}`);
  if ('equals' in comparison) return `exactly ${comparison.equals}`;
  if (comparison.atLeast !== undefined && comparison.atMost !== undefined) return `between ${comparison.atLeast} and ${comparison.atMost}`;
  return comparison.atLeast !== undefined ? `at least ${comparison.atLeast}` : `at most ${comparison.atMost}`;
}

const answers = new Map<string, number>();

/** The number the tool measures for a question of a lab (what `check` compares the answer with). */
export function labAnswer(name: string, key: string): number {
  const cacheKey = `${name} ${key}`;
  let value = answers.get(cacheKey);
  if (value !== undefined) return value;
  const definition = lab(name);
  const question = definition.questions.find((q) => q.key === key);
  if (!question) throw new Error(`labs/${name} has no question ${key}`);
  const loaded = loadProgram(path.join(labFolder(name), question.guest), { readFile });
  const guest = loaded.guests[0];
  if (!guest.image) throw new Error(`labs/${name}/${question.guest} does not assemble`);
  const numbers = measureRun({ name: guest.name, image: guest.image }, definition.runs[question.run]).numbers;
  if (!numbers) throw new Error(`labs/${name}, ${key}: the run's window never opened or closed`);
  value = numbers.get(question.measure) ?? 0;
  answers.set(cacheKey, value);
  return value;
}

/**
 * What `hyperstep check LAB --answers FILE` prints when every answer is right
 * but KEY's, one below the measured number: its FAIL line, hint cut to "...",
 * and the summary.
 */
export function labFailExample(name: string, key: string): string {
  const definition = lab(name);
  const folder = labFolder(name);
  const answersFile = path.join(folder, '(one wrong answer)');
  const text = definition.questions.map((q) => `${q.key}: ${labAnswer(name, q.key) - (q.key === key ? 1 : 0)}`).join('\n') + '\n';
  const report = checkLab(folder, { readFile: (file) => (file === answersFile ? text : readFile(file)), answersFile });
  const lines = formatReport(report)
    .split('\n')
    .filter((line) => line.startsWith('  FAIL') || line.startsWith(`lab ${definition.number} not passed`))
    .map((line) => line.replace(/ Hint: .*/, ' Hint: ...'));
  return lines.join('\n');
}
