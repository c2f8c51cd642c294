import * as assert from 'node:assert';
import { Project } from '../../src/lsp/project';

describe('project: cached assemblies', () => {
  it('re-assembles only the program that read an edited document, and files on disk after invalidate', () => {
    const texts: Record<string, string> = { '/p/a.g32': '_start: hlt\n', '/p/b.g32': '_start: nop\n.include "c.g32"\n', '/p/c.g32': 'c: ret\n' };
    // a and b are open; c is read from disk.
    const versions: Record<string, number> = { '/p/a.g32': 1, '/p/b.g32': 1 };
    const project = new Project({ readFile: (file) => texts[file], openFiles: () => Object.keys(versions), versionOf: (file) => versions[file] });
    project.analysisFor('/p/a.g32');
    project.analysisFor('/p/b.g32');
    const settled = project.assemblyCount;
    project.analysisFor('/p/a.g32');
    project.analysisFor('/p/b.g32');
    assert.strictEqual(project.assemblyCount, settled, 'nothing changed, nothing assembled');

    texts['/p/b.g32'] = '_start: nop r1\n.include "c.g32"\n';
    versions['/p/b.g32'] = 2;
    assert.strictEqual(project.analysisFor('/p/a.g32').result.diagnostics.length, 0);
    assert.strictEqual(project.analysisFor('/p/b.g32').result.diagnostics.length, 1);
    assert.strictEqual(project.assemblyCount, settled + 1, 'b once; a, which does not read b, not at all');

    texts['/p/c.g32'] = 'c: ret r1\n';
    assert.strictEqual(project.analysisFor('/p/b.g32').result.diagnostics.length, 1, 'a change on disk is not seen before invalidate');
    project.invalidate();
    assert.strictEqual(project.analysisFor('/p/b.g32').result.diagnostics.length, 2);
    assert.strictEqual(project.assemblyCount, settled + 2);
  });

  it('keeps a bounded number of programs, dropping the least recently used', () => {
    const files = Array.from({ length: 60 }, (_, index) => `/p/f${index}.g32`);
    const project = new Project({ readFile: () => '_start: hlt\n', openFiles: () => [], versionOf: () => 1 });
    for (const file of files) project.analysisFor(file);
    assert.strictEqual(project.assemblyCount, 60);
    project.analysisFor(files[59]);
    assert.strictEqual(project.assemblyCount, 60, 'the most recent is kept');
    project.analysisFor(files[0]);
    assert.strictEqual(project.assemblyCount, 61, 'the oldest was dropped');
  });
});
