// The ALU's flag rules are written once, in src/machine/aluFlags.ts. The
// interpreter's loop carries the text of three of them instead of calling them
// (a call there slows it measurably): this test keeps that text the rules' own.

import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';

const REPO = path.resolve(__dirname, '../../..');
const read = (file: string) => fs.readFileSync(path.join(REPO, file), 'utf8');
const normalize = (text: string) => text.replace(/\s+/g, ' ').trim();

/** The expression a rule returns, as written in aluFlags.ts. */
function ruleExpression(source: string, name: string): string {
  const match = new RegExp(`export function ${name}\\(([^)]*)\\)[^{]*\\{\\s*return ([\\s\\S]*?);\\s*\\}`).exec(source);
  assert.ok(match, `${name} is not one return statement in aluFlags.ts`);
  return normalize(match[2]);
}

describe('machine: ALU flag rules written once', () => {
  const rules = read('src/machine/aluFlags.ts');
  const interpreter = normalize(read('src/machine/cpu.ts'));

  for (const name of ['addFlags', 'subFlags', 'negFlags']) {
    it(`the interpreter computes flags with the text of ${name}`, () => {
      const expression = ruleExpression(rules, name);
      assert.ok(interpreter.includes(`flags = ${expression};`), `src/machine/cpu.ts no longer carries the text of ${name}: ${expression}`);
    });
  }

  it('the interpreter calls the other rules', () => {
    assert.match(interpreter, /flags = logicFlags\(flags, res\);/);
    assert.match(interpreter, /signedLess\(flags\)/);
  });
});
