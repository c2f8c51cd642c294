import * as assert from 'node:assert';
import { Project, ProjectHost } from '../../src/lsp/project';

function host(files: Record<string, string>, open: string[]): ProjectHost {
  return {
    readFile: (file) => files[file],
    openFiles: () => open,
    listFolder: (folder) => Object.keys(files).filter((file) => file.startsWith(folder + '/')),
  };
}

const FILES = {
  '/p/kernel.g32': '.equ CONSOLE, 0xFFFF0000\n_start:\n  call kputs\n  hlt\n.include "console.g32"\n',
  '/p/console.g32': 'kputs:\n  st [CONSOLE], r0\n  ret\n',
};

describe('project', () => {
  it('analyses an included file as part of its open includer', () => {
    const project = new Project(host(FILES, ['/p/kernel.g32', '/p/console.g32']));
    const analysis = project.analysisFor('/p/console.g32');
    assert.strictEqual(analysis.root, '/p/kernel.g32');
    assert.deepStrictEqual(analysis.result.diagnostics, []);
  });

  it('finds the includer on disk when only the included file is open', () => {
    const project = new Project(host(FILES, ['/p/console.g32']));
    assert.strictEqual(project.analysisFor('/p/console.g32').root, '/p/kernel.g32');
  });

  it('assembles a file on its own when nothing includes it', () => {
    const project = new Project(host({ '/p/a.g32': 'nop\n' }, ['/p/a.g32']));
    const analysis = project.analysisFor('/p/a.g32');
    assert.strictEqual(analysis.root, '/p/a.g32');
    assert.match(analysis.result.diagnostics[0].message, /_start/);
  });

  it('publishes diagnostics per file, included files not open too', () => {
    const files = { ...FILES, '/p/console.g32': 'kputs:\n  st [CONSOLE], r0, r1\n  ret\n' };
    const byFile = new Project(host(files, ['/p/kernel.g32'])).diagnosticsToPublish();
    assert.deepStrictEqual([...byFile.keys()], ['/p/kernel.g32', '/p/console.g32']);
    assert.strictEqual(byFile.get('/p/kernel.g32')!.length, 0);
    assert.strictEqual(byFile.get('/p/console.g32')!.length, 1);
    assert.strictEqual(byFile.get('/p/console.g32')![0].range.start.line, 1);
  });

  it('forgets results when invalidated', () => {
    const files: Record<string, string> = { '/p/a.g32': '_start: hlt\n' };
    const project = new Project(host(files, ['/p/a.g32']));
    assert.strictEqual(project.analysisFor('/p/a.g32').result.diagnostics.length, 0);
    files['/p/a.g32'] = '_start: hlt r1\n';
    assert.strictEqual(project.analysisFor('/p/a.g32').result.diagnostics.length, 0, 'cached');
    project.invalidate();
    assert.strictEqual(project.analysisFor('/p/a.g32').result.diagnostics.length, 1);
  });
});
