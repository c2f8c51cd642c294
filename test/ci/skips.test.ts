// CI must not pass without running what it claims: with CI=true, mocha fails
// on a skipped (pending) test or a left-over `.only` (.mocharc.js), and the
// panel tests find Chromium as `.ci/run` does (`command -v chromium`) and fail
// instead of skipping when there is none.

import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { findChromium } from '../webview/harness';

const ROOT = path.resolve(__dirname, '../../..');
const MOCHA = path.join(ROOT, 'node_modules', 'mocha', 'bin', 'mocha.js');

function runMocha(specText: string, env: NodeJS.ProcessEnv): { status: number | null; output: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hyperstep-ci-'));
  try {
    const spec = path.join(dir, 'one.test.js');
    fs.writeFileSync(spec, specText);
    // The repository's own config (.mocharc.js), with this one file as the spec.
    const result = spawnSync(process.execPath, [MOCHA, '--config', path.join(ROOT, '.mocharc.js'), '--spec', spec], { cwd: dir, env, encoding: 'utf8' });
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('CI strictness', function () {
  this.timeout(30000);
  const pending = "describe('x', () => { it('runs', () => {}); it('is skipped', function () { this.skip(); }); });";
  // Built from parts so that a search of test/ for focused tests does not take this fixture for one.
  const only = `describe('x', () => { it.${'only'}('runs', () => {}); it('other', () => {}); });`;
  const withoutCi = { ...process.env, CI: '' };
  const inCi = { ...process.env, CI: 'true' };

  it('a skipped test fails the run in CI, and only there', () => {
    assert.strictEqual(runMocha(pending, withoutCi).status, 0);
    const ci = runMocha(pending, inCi);
    assert.notStrictEqual(ci.status, 0, ci.output);
    assert.match(ci.output, /[Pp]ending test forbidden/);
  });

  it('a left-over .only fails the run in CI', () => {
    assert.strictEqual(runMocha(only, withoutCi).status, 0);
    const ci = runMocha(only, inCi);
    assert.notStrictEqual(ci.status, 0, ci.output);
    assert.match(ci.output, /\.only`? forbidden/);
  });

  it('the panel tests find chromium on PATH, as .ci/run does, not at one fixed path', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hyperstep-path-'));
    try {
      const chromium = path.join(dir, 'chromium');
      fs.writeFileSync(chromium, '#!/bin/sh\n', { mode: 0o755 });
      assert.strictEqual(findChromium({ PATH: `/nonexistent${path.delimiter}${dir}` }), chromium);
      assert.strictEqual(findChromium({ PATH: '/nonexistent' }), undefined);
      assert.strictEqual(findChromium({ PATH: dir, CHROMIUM: '/opt/chrome/chrome' }), '/opt/chrome/chrome');
      fs.chmodSync(chromium, 0o644);
      assert.strictEqual(findChromium({ PATH: dir }), undefined, 'not executable');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
