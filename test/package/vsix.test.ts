// What `npm run package` would put in the .vsix, from `vsce ls` (the same file
// selection, without building one): the bundles, the grammar and the manifest,
// the walkthrough's pages and the Markdown docs that hovers link to, and none
// of the sources, tests or node_modules. Takes dist/ as built by
// `npm run build` (npm test builds first) plus the panels' scripts.

import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../../..');

function packagedFiles(): string[] {
  const vsce = join(ROOT, 'node_modules/@vscode/vsce/vsce');
  const output = execFileSync(process.execPath, [vsce, 'ls', '--no-dependencies'], { cwd: ROOT, encoding: 'utf8' });
  return output
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean);
}

describe('the .vsix file list (vsce ls)', function () {
  this.timeout(60000);
  let files: string[] = [];

  before(() => {
    // The panels' scripts come from a second esbuild build; make sure they are there.
    if (!existsSync(join(ROOT, 'dist/webview/pageTables.js'))) {
      execFileSync(process.execPath, [join(ROOT, 'scripts/bundle-webview.mjs')], { cwd: ROOT, stdio: 'inherit' });
    }
    files = packagedFiles();
  });

  it('holds the bundles, the grammar and the manifest', () => {
    for (const file of ['package.json', 'dist/extension.js', 'dist/lsp.js', 'dist/dap.js', 'syntaxes/g32.tmLanguage.json', 'language-configuration.json', 'LICENSE']) {
      assert.ok(files.includes(file), `${file} is packaged (got ${files.join(', ')})`);
    }
    for (const kind of ['pageTables', 'tlb', 'timeline', 'costs', 'translationCache']) {
      assert.ok(files.includes(`dist/webview/${kind}.js`), `dist/webview/${kind}.js is packaged`);
    }
  });

  it('holds the machine reference that hovers link to, and the walkthrough pages', () => {
    for (const file of ['docs/machine.md', 'docs/isa.md']) assert.ok(files.includes(file), `${file} is packaged`);
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    for (const step of manifest.contributes.walkthroughs[0].steps) assert.ok(files.includes(step.media.markdown), `${step.media.markdown} is packaged`);
  });

  it('holds no sources, tests, source maps or node_modules', () => {
    // Of docs/ only the Markdown pages (not the screenshots).
    const unwanted = files.filter(
      (file) => /^(src|test|out|node_modules|scripts|examples|\.ci|\.vscode-test|test-output)\//.test(file) || /^docs\/(?!\w[\w-]*\.md$)/.test(file) || /\.(ts|map|vsix)$/.test(file),
    );
    assert.deepEqual(unwanted, []);
  });

  it('every file the manifest points at is packaged', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    const pointed = [manifest.main, ...manifest.contributes.grammars.map((g: { path: string }) => g.path), ...manifest.contributes.languages.map((l: { configuration?: string }) => l.configuration)]
      .filter(Boolean)
      .map((p: string) => p.replace(/^\.\//, ''));
    for (const file of pointed) assert.ok(files.includes(file), `${file} (named in package.json) is packaged`);
  });

  it('stays small', () => {
    assert.ok(files.length < 40, `${files.length} files`);
  });
});
