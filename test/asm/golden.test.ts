// Golden files: every `fixtures/*.g32` is assembled and its listing (and its
// diagnostics, when there are any) compared with the `.listing` and `.errors`
// files beside it. Run with UPDATE_EXPECT=1 to rewrite them, then review the diff.
// Files under `fixtures/lib/` are only included, never assembled alone.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { assemble, formatDiagnostic, listing } from '../../src/asm';

// Tests run from out/test/asm; the fixtures stay in the source tree.
const FIXTURES = path.resolve(__dirname, '../../../test/asm/fixtures');
const isUpdating = process.env.UPDATE_EXPECT === '1';

function readFixture(relative: string): string | undefined {
  try {
    return fs.readFileSync(path.join(FIXTURES, relative), 'utf8');
  } catch {
    return undefined;
  }
}

function checkExpectation(file: string, actual: string | undefined): void {
  const full = path.join(FIXTURES, file);
  if (isUpdating) {
    if (actual === undefined) fs.rmSync(full, { force: true });
    else fs.writeFileSync(full, actual);
    return;
  }
  const expected = readFixture(file);
  assert.equal(actual, expected, `${file} differs; rerun with UPDATE_EXPECT=1 and review the diff`);
}

describe('asm: golden listings', () => {
  const mains = fs
    .readdirSync(FIXTURES)
    .filter((name) => name.endsWith('.g32'))
    .sort();

  it('has fixtures', () => assert.ok(mains.length >= 4));

  for (const main of mains) {
    it(main, () => {
      const result = assemble(main, { readFile: readFixture });
      const sources = new Map(result.files.map((file) => [file, readFixture(file) ?? '']));
      const base = main.replace(/\.g32$/, '');
      checkExpectation(`${base}.listing`, listing(result, sources));
      const errors = result.diagnostics.map((d) => formatDiagnostic(d) + '\n').join('');
      checkExpectation(`${base}.errors`, errors === '' ? undefined : errors);
      assert.equal(result.image === undefined, errors !== '');
    });
  }
});
