// The student's answers file: one `key: value` line per question, `#` starts a
// comment. A key with no value (or `?`) is a question not answered yet.

export interface Answer {
  /** The value as written; undefined when left blank. */
  value: number | undefined;
  raw: string;
  line: number;
}

export interface AnswersFile {
  answers: Map<string, Answer>;
  /** Lines that are not `key: value`, with their line numbers. */
  problems: string[];
}

export function parseAnswers(source: string): AnswersFile {
  const answers = new Map<string, Answer>();
  const problems: string[] = [];
  source.split(/\r?\n/).forEach((fullLine, index) => {
    const line = fullLine.replace(/#.*$/, '').trim();
    if (line === '') return;
    const match = /^([A-Za-z][A-Za-z0-9_]*)\s*[:=]\s*(.*)$/.exec(line);
    if (!match) {
      problems.push(`line ${index + 1}: expected "key: number", found "${fullLine.trim()}"`);
      return;
    }
    const raw = match[2].trim();
    const isBlank = raw === '' || raw === '?' || /^_+$/.test(raw);
    const value = isBlank ? undefined : /^(0x[0-9a-f]+|-?\d+)$/i.test(raw) ? Number(raw) : NaN;
    answers.set(match[1].toLowerCase(), { value, raw, line: index + 1 });
  });
  return { answers, problems };
}
