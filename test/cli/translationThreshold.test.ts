// Tiered translation's threshold as a user sets it: `--translation-threshold`
// on the command line, `translationThreshold` in a launch configuration (and
// its schema in package.json), with the documented default.

import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from '../../src/cli/args';
import { parseLaunchConfig } from '../../src/debug/launchConfig';
import { TRANSLATION_THRESHOLD } from '../../src/hypervisor/binaryTranslate/engine';
import { ineffectiveSettingWarnings, LAUNCH_SETTING_NAMES } from '../../src/hypervisor/settingWarnings';

const ROOT = path.resolve(__dirname, '../../..');
const MAIN = path.join(ROOT, 'out/src/cli/main.js');
const OS = path.join(ROOT, 'examples/os/kernel.g32');

/** A counter's value in --stats output. */
function stat(stderr: string, label: string): number {
  const match = new RegExp(`^  ${label} +(\\d+)$`, 'm').exec(stderr);
  assert.ok(match, `${label} in\n${stderr}`);
  return Number(match[1]);
}

describe('translation threshold (--translation-threshold, translationThreshold)', () => {
  it('the command line takes it; on first sight translates every block, the default only hot ones, with the same output', () => {
    const run = (extra: string[]) => {
      const result = spawnSync(process.execPath, [MAIN, 'run', OS, '--virtualization', 'binary-translation', '--input-at', '2000:k', '--stats', ...extra], { cwd: ROOT, timeout: 120000 });
      assert.equal(result.status, 0, result.stderr.toString());
      return { stdout: result.stdout.toString('latin1'), stderr: result.stderr.toString('utf8') };
    };
    const firstSight = run(['--translation-threshold', '1']);
    const tiered = run([]);
    assert.equal(tiered.stdout, firstSight.stdout);
    assert.ok(stat(tiered.stderr, 'blocks translated') * 2 < stat(firstSight.stderr, 'blocks translated'), 'far fewer blocks translated');
    assert.ok(stat(tiered.stderr, 'traps avoided by adaptive translation') > 400, 'console stores emulated without a trap');
    const usage = spawnSync(process.execPath, [MAIN, 'run', OS, '--translation-threshold', 'many'], { cwd: ROOT });
    assert.equal(usage.status, 64);
    assert.match(usage.stderr.toString(), /--translation-threshold must be a whole number/);
  });

  it('is warned about under a setting that translates nothing, on the command line and in a launch configuration', () => {
    const result = spawnSync(process.execPath, [MAIN, 'run', path.join(ROOT, 'examples/hello.g32'), '--virtualization', 'trap-and-emulate', '--translation-threshold', '4'], { cwd: ROOT });
    assert.equal(result.status, 0);
    assert.match(result.stderr.toString(), /warning: --translation-threshold 4 has no effect with virtualization trap-and-emulate: only binary translation translates guest code/);
    const translated = spawnSync(process.execPath, [MAIN, 'run', path.join(ROOT, 'examples/hello.g32'), '--virtualization', 'binary-translation', '--translation-threshold', '4'], { cwd: ROOT });
    assert.equal(translated.stderr.toString(), '');
    assert.deepEqual(ineffectiveSettingWarnings({ virtualization: 'none', translationThreshold: 0 }, LAUNCH_SETTING_NAMES), [
      "launch attribute 'translationThreshold' 0 has no effect with virtualization none: only binary translation translates guest code",
    ]);
  });

  it('--help names the default', () => {
    let help = '';
    parseArgs(
      ['run', '--help'],
      (s) => {
        help += s;
      },
      () => undefined,
    );
    assert.match(
      help.replace(/\s+/g, ' '),
      new RegExp(
        `--translation-threshold <n> binary translation: runs of a block before it is translated; until then it is interpreted \\(default ${TRANSLATION_THRESHOLD}; 0 or 1: translate on first sight\\)`,
      ),
    );
  });

  it('a launch configuration takes it, and rejects what is not a whole number', () => {
    assert.equal(parseLaunchConfig({ program: 'k.g32', translationThreshold: 1 }, ROOT).translationThreshold, 1);
    assert.equal(parseLaunchConfig({ program: 'k.g32' }, ROOT).translationThreshold, undefined);
    assert.throws(() => parseLaunchConfig({ program: 'k.g32', translationThreshold: -2 }, ROOT), /launch attribute 'translationThreshold' must be a whole number from 0 to 1000000000; got -2/);
  });

  it('the launch schema in package.json documents it with the default', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    const schema = pkg.contributes.debuggers[0].configurationAttributes.launch.properties.translationThreshold;
    assert.equal(schema.type, 'integer');
    assert.equal(schema.default, TRANSLATION_THRESHOLD);
    assert.match(schema.description, /0 or 1: translate every block on first sight/);
  });
});
