// The language server names documents by path: a file URI by its file path, a
// document of a virtual workspace (VS Code for the Web) by its URI's path,
// turned back into a URI of the same workspace; and the web server reads
// closed files from the copies the client pushed.

import * as assert from 'node:assert';
import { DocumentPaths } from '../../src/lsp/documentPaths';
import { PushedSourceFiles } from '../../src/lsp/pushedSourceFiles';

describe('language server: document paths', () => {
  it('gives a file URI its path and back', () => {
    const paths = new DocumentPaths();
    assert.strictEqual(paths.toPath('file:///home/me/os%20lab/kernel.g32'), '/home/me/os lab/kernel.g32');
    assert.strictEqual(paths.toUri('/home/me/os lab/trap.g32'), 'file:///home/me/os%20lab/trap.g32');
  });

  it("names a virtual workspace document by its path and turns an included file back into that workspace's URI", () => {
    const paths = new DocumentPaths();
    assert.strictEqual(paths.toPath('vscode-vfs://github/course/os/kernel.g32'), '/course/os/kernel.g32');
    assert.strictEqual(paths.toUri('/course/os/trap.g32'), 'vscode-vfs://github/course/os/trap.g32');
  });

  it('leaves an untitled document its own name', () => {
    const paths = new DocumentPaths();
    assert.strictEqual(paths.toPath('untitled:Untitled-1'), 'untitled:Untitled-1');
    assert.strictEqual(paths.toUri('untitled:Untitled-1'), 'untitled:Untitled-1');
  });
});

describe('language server: files pushed by the web client', () => {
  it('reads and lists what was pushed, and a complete push replaces the rest', () => {
    const files = new PushedSourceFiles();
    files.receive({
      files: [
        { path: '/os/kernel.g32', text: 'a' },
        { path: '/os/trap.g32', text: 'b' },
        { path: '/hello.g32', text: 'c' },
      ],
      isComplete: true,
    });
    assert.strictEqual(files.readFile('/os/trap.g32'), 'b');
    assert.deepStrictEqual(files.listG32Files('/os').sort(), ['/os/kernel.g32', '/os/trap.g32']);
    files.receive({ files: [{ path: '/os/trap.g32', text: 'b2' }], isComplete: false });
    assert.strictEqual(files.readFile('/os/trap.g32'), 'b2');
    files.receive({ files: [{ path: '/hello.g32', text: 'c' }], isComplete: true });
    assert.strictEqual(files.readFile('/os/kernel.g32'), undefined);
  });
});
