// Which file F5 debugs, and the refusal of a file that is not a program
// (launch.json through "${file}"), without VS Code (src/extension/programChoice.ts).

import * as assert from 'assert';
import { pickProgram, programProblem } from '../../src/extension/programChoice';

const FILES: Record<string, string> = {
  '/w/.vscode/launch.json': '{\n  // comments, as VS Code writes them\n  "version": "0.2.0",\n  "configurations": [{ "type": "hyperstep", "program": "${file}" }]\n}',
  '/w/machine.json': '{ "guests": [{ "program": "os/kernel.g32" }] }',
  '/w/package.json': '{ "name": "x" }',
  '/w/notes.md': '# notes',
  '/w/os/kernel.g32': '_start: hlt',
};
const read = (file: string): string | undefined => FILES[file];

describe('extension: which program F5 debugs', () => {
  describe('pickProgram (no launch.json)', () => {
    it('takes the active .g32 file, or the active machine description', () => {
      assert.deepStrictEqual(pickProgram('/w/os/kernel.g32', ['/w/a.g32', '/w/b.g32'], [], read), { kind: 'file', program: '/w/os/kernel.g32' });
      assert.deepStrictEqual(pickProgram('/w/machine.json', [], [], read), { kind: 'file', program: '/w/machine.json' });
    });

    it('with launch.json active, takes the one .g32 file open, and asks among several', () => {
      assert.deepStrictEqual(pickProgram('/w/.vscode/launch.json', ['/w/.vscode/launch.json', '/w/os/kernel.g32'], [], read), { kind: 'file', program: '/w/os/kernel.g32' });
      assert.deepStrictEqual(pickProgram('/w/.vscode/launch.json', ['/w/b.g32', '/w/a.g32'], ['/w/c.g32'], read), { kind: 'ask', candidates: ['/w/a.g32', '/w/b.g32'] });
    });

    it('falls back on the workspace: its one .g32 file, or a choice, or a message', () => {
      assert.deepStrictEqual(pickProgram('/w/notes.md', [], ['/w/os/kernel.g32'], read), { kind: 'file', program: '/w/os/kernel.g32' });
      assert.deepStrictEqual(pickProgram(undefined, [], ['/w/z.g32', '/w/os/kernel.g32'], read), { kind: 'ask', candidates: ['/w/os/kernel.g32', '/w/z.g32'] });
      const none = pickProgram('/w/package.json', ['/w/package.json'], [], read);
      assert.strictEqual(none.kind, 'none');
      assert.match((none as { message: string }).message, /no \.g32 program to debug/);
    });
  });

  describe('programProblem (before a launch)', () => {
    it('accepts .g32 programs and machine descriptions, and leaves unreadable files to the adapter', () => {
      assert.strictEqual(programProblem('/w/os/kernel.g32', read, true), undefined);
      assert.strictEqual(programProblem('/w/machine.json', read, false), undefined);
      assert.strictEqual(programProblem('/w/missing.json', read, false), undefined);
    });

    it('refuses launch.json picked through "${file}", naming it and saying why and what to do', () => {
      const message = programProblem('/w/.vscode/launch.json', read, true)!;
      assert.match(message, /^hyperstep: cannot debug \/w\/\.vscode\/launch\.json: /);
      assert.match(message, /the active editor's file \(what "\$\{file\}" in "program" names\)/);
      assert.match(message, /a launch configuration file, not a program/);
      assert.match(message, /Open the \.g32 program/);
    });

    it('refuses other files, saying what they are not', () => {
      assert.match(programProblem('/w/package.json', read, false)!, /cannot debug \/w\/package\.json: it is the "program" of the launch configuration, a \.json file but not a machine description/);
      assert.match(programProblem('/w/notes.md', read, true)!, /neither a \.g32 program nor a machine description/);
    });
  });
});
