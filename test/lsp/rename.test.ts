import * as assert from 'node:assert';
import { TextEdit, WorkspaceEdit } from 'vscode-languageserver';
import { prepareRename, rename } from '../../src/lsp/features/rename';
import { Fixture, fixture, single } from './fixture';

function applyEdits(text: string, edits: TextEdit[]): string {
  const lines = text.split('\n');
  const sorted = [...edits].sort((a, b) => b.range.start.line - a.range.start.line || b.range.start.character - a.range.start.character);
  for (const edit of sorted) {
    const line = lines[edit.range.start.line];
    lines[edit.range.start.line] = line.slice(0, edit.range.start.character) + edit.newText + line.slice(edit.range.end.character);
  }
  return lines.join('\n');
}

function renamed(setup: Fixture, newName: string): Record<string, string> {
  const outcome = rename(setup.document, setup.position, newName, (file) => setup.texts.get(file));
  assert.ok('edit' in outcome, 'error' in outcome ? outcome.error : '');
  const edit: WorkspaceEdit = outcome.edit;
  const out: Record<string, string> = {};
  for (const [file, text] of setup.texts) out[file] = applyEdits(text, edit.changes?.[`file://${file}`] ?? []);
  return out;
}

function refusal(setup: Fixture, newName: string): string {
  const outcome = rename(setup.document, setup.position, newName, (file) => setup.texts.get(file));
  assert.ok('error' in outcome, 'expected a refusal');
  return outcome.error;
}

describe('prepareRename', () => {
  it('accepts labels and .equ names', () => {
    const outcome = prepareRename(single('_start:\n  jmp ta<|>rget\ntarget: hlt\n').document, { line: 1, character: 7 });
    assert.deepStrictEqual(outcome, { range: { start: { line: 1, character: 6 }, end: { line: 1, character: 12 } }, placeholder: 'target' });
  });

  it('refuses registers, mnemonics, directives and undefined names with a reason', () => {
    const { document } = single('.equ X, 1\n_start:\n  mov r1, nowhere\n');
    assert.match((prepareRename(document, { line: 2, character: 3 }) as { error: string }).error, /'mov' is an instruction mnemonic/);
    assert.match((prepareRename(document, { line: 2, character: 7 }) as { error: string }).error, /'r1' is a register/);
    assert.match((prepareRename(document, { line: 0, character: 2 }) as { error: string }).error, /'.equ' is a directive/);
    assert.match((prepareRename(document, { line: 2, character: 12 }) as { error: string }).error, /'nowhere' is not a defined label/);
  });
});

describe('rename', () => {
  const FILES = {
    '/p/main.g32': '.equ COUNT, 3\n_start:\n  mov r1, COUNT\n  call puts\n.loop:\n  jmp .loop\n.include "lib.g32"\n',
    '/p/lib.g32': 'puts:\n  mov r2, COUNT\n.done:\n  jmp puts.done\n  jmp .done\n',
  };

  it('renames a label across included files', () => {
    const out = renamed(fixture({ ...FILES, '/p/main.g32': FILES['/p/main.g32'].replace('call puts', 'call pu<|>ts') }), 'print');
    assert.strictEqual(out['/p/main.g32'], FILES['/p/main.g32'].replace('call puts', 'call print'));
    // The full form of its local label follows the new name.
    assert.strictEqual(out['/p/lib.g32'], 'print:\n  mov r2, COUNT\n.done:\n  jmp print.done\n  jmp .done\n');
  });

  it('renames an .equ name from its definition', () => {
    const out = renamed(fixture({ ...FILES, '/p/main.g32': FILES['/p/main.g32'].replace('.equ COUNT', '.equ CO<|>UNT') }), 'TIMES');
    assert.match(out['/p/main.g32'], /^\.equ TIMES, 3\n_start:\n {2}mov r1, TIMES\n/);
    assert.match(out['/p/lib.g32'], /mov r2, TIMES/);
  });

  it('renames a local label, written short or in full', () => {
    const out = renamed(fixture({ ...FILES, '/p/lib.g32': FILES['/p/lib.g32'].replace('jmp .done', 'jmp .do<|>ne') }), '.finish');
    assert.strictEqual(out['/p/lib.g32'], 'puts:\n  mov r2, COUNT\n.finish:\n  jmp puts.finish\n  jmp .finish\n');
    assert.strictEqual(out['/p/main.g32'], FILES['/p/main.g32']);
  });

  it('refuses invalid, reserved, taken and wrongly local names', () => {
    const setup = fixture({ ...FILES, '/p/main.g32': FILES['/p/main.g32'].replace('call puts', 'call pu<|>ts') });
    assert.match(refusal(setup, '9lives'), /not a valid name/);
    assert.match(refusal(setup, 'two words'), /not a valid name/);
    assert.match(refusal(setup, 'R3'), /'R3' is a register and is reserved/);
    assert.match(refusal(setup, 'iret'), /instruction mnemonic and is reserved/);
    assert.match(refusal(setup, '.org'), /directive and is reserved/);
    assert.match(refusal(setup, '_start'), /'_start' is already defined at \/p\/main\.g32:2/);
    assert.match(refusal(setup, '.local'), /must not start with '\.'/);
    const local = fixture({ ...FILES, '/p/main.g32': FILES['/p/main.g32'].replace('jmp .loop', 'jmp .lo<|>op') });
    assert.match(refusal(local, 'global'), /must start with '\.' too/);
  });

  it('refuses to rename what is not a name', () => {
    assert.match(refusal(single('_start:\n  ad<|>d r1, r2\n'), 'sum'), /instruction mnemonic/);
  });
});
