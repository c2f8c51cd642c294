// The language server assembles the files beside an open file to find its
// includer. In a cloned folder those can be a named pipe, a link to /dev/zero,
// an include bomb (20 files, 2^20 expansions, few enough neighbours to be searched) or a file of 3,000 nested parentheses: the server's reader
// (the guarded one) skips the first two, and the assembler's limits bound the
// rest, so analysis of an unrelated file returns, with its own diagnostics.

import * as assert from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readSourceText } from '../../src/loader/sourceFile';
import { Project } from '../../src/lsp/project';

describe('lsp: a folder of hostile neighbours', () => {
  let directory = '';

  before(() => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'hyperstep-lsp-hostile-'));
    execFileSync('mkfifo', [path.join(directory, 'pipe.g32')]);
    fs.symlinkSync('/dev/zero', path.join(directory, 'zero.g32'));
    fs.writeFileSync(path.join(directory, 'f0.g32'), 'nop\n');
    for (let i = 1; i <= 20; i++) fs.writeFileSync(path.join(directory, `f${i}.g32`), `.include "f${i - 1}.g32"\n.include "f${i - 1}.g32"\n`);
    fs.writeFileSync(path.join(directory, 'deep.g32'), `_start: hlt\n.word ${'('.repeat(3000)}1${')'.repeat(3000)}\n`);
    fs.writeFileSync(path.join(directory, 'mine.g32'), 'helper: ret\n');
  });

  after(() => {
    fs.rmSync(directory, { recursive: true, force: true });
  });

  function project(open: string[]): Project {
    return new Project({
      readFile: (file) => readSourceText(file),
      openFiles: () => open,
      listFolder: (folder) =>
        fs
          .readdirSync(folder)
          .filter((name) => name.endsWith('.g32'))
          .map((name) => path.join(folder, name)),
    });
  }

  it('an unrelated file is analysed on its own, past the pipe, the device and the bomb', () => {
    const mine = path.join(directory, 'mine.g32');
    const analysis = project([mine]).analysisFor(mine);
    assert.strictEqual(analysis.root, mine);
    assert.deepStrictEqual(
      analysis.result.diagnostics.map((d) => d.message),
      ["expected a '_start' label or '.entry LABEL', found end of file"],
    );
  });

  it('the deeply nested file gets its diagnostic instead of none', () => {
    const deep = path.join(directory, 'deep.g32');
    const published = project([deep]).diagnosticsToPublish();
    assert.deepStrictEqual(
      [...published.values()].flat().map((d) => d.message),
      ["expected parentheses and unary operators nested at most 256 deep, found '('"],
    );
  });
});
