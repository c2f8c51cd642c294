import * as assert from 'node:assert';
import { definition } from '../../src/lsp/features/definition';
import { references } from '../../src/lsp/features/references';
import { fixture, single } from './fixture';

const FILES = {
  '/p/main.g32': '_start:\n  call puts\n  call puts\n.loop:\n  jmp .loop\n.include "lib.g32"\n',
  '/p/lib.g32': '; printing\nputs:\n  ret\n',
};

describe('definition', () => {
  it('goes to a label defined in an included file', () => {
    const { document } = fixture(FILES);
    assert.deepStrictEqual(definition(document, { line: 1, character: 8 }), [{ uri: 'file:///p/lib.g32', range: { start: { line: 1, character: 0 }, end: { line: 1, character: 4 } } }]);
  });

  it('goes to a local label of the enclosing global label', () => {
    const { document } = fixture(FILES);
    assert.deepStrictEqual(definition(document, { line: 4, character: 7 }), [{ uri: 'file:///p/main.g32', range: { start: { line: 3, character: 0 }, end: { line: 3, character: 5 } } }]);
  });

  it('finds nothing on mnemonics, registers, comments and undefined names', () => {
    const { document } = single('_start:\n  mov r1, missing ; _start\n');
    for (const character of [3, 7, 12, 22]) assert.deepStrictEqual(definition(document, { line: 1, character }), [], `at ${character}`);
  });

  it('still works on a line with an error', () => {
    const { document } = single('_start:\n  mov r1, target +\ntarget: hlt\n');
    assert.strictEqual(definition(document, { line: 1, character: 12 })[0]?.range.start.line, 2);
  });
});

describe('references', () => {
  it('lists every use in every file, with or without the definition', () => {
    const { document } = fixture(FILES, { main: '/p/main.g32' });
    const all = references({ ...document }, { line: 1, character: 8 });
    assert.deepStrictEqual(
      all.map((location) => `${location.uri}:${location.range.start.line}:${location.range.start.character}`),
      ['file:///p/main.g32:1:7', 'file:///p/main.g32:2:7', 'file:///p/lib.g32:1:0'],
    );
    assert.strictEqual(references(document, { line: 1, character: 8 }, { includeDeclaration: false }).length, 2);
  });

  it('works from the definition in the included file', () => {
    const { document } = fixture({ ...FILES, '/p/lib.g32': '; printing\npu<|>ts:\n  ret\n' });
    assert.strictEqual(references(document, { line: 1, character: 2 }).length, 3);
  });

  it('lists a file included twice once', () => {
    const { document } = fixture({
      '/p/main.g32': '_start: jmp X\n.include "c.g32"\n.include "c.g32"\nX: hlt\n',
      '/p/c.g32': '.word X\n',
    });
    assert.strictEqual(references(document, { line: 0, character: 12 }).length, 3);
  });
});
