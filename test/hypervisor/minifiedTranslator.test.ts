// The translator copies the flag rules of machine/aluFlags.ts into translated
// blocks as text, read from the functions themselves. The web build is
// minified (scripts/bundle-web.mjs): the rules must still read there, or the
// extension fails to activate in VS Code for the Web.

import * as assert from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as esbuild from 'esbuild';

const ROOT = path.resolve(__dirname, '../../..');

describe('binary translation: the translator minified, as in the web build', () => {
  it('reads its flag rules from minified functions and still names them', () => {
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'hyperstep-minified-'));
    try {
      const file = path.join(folder, 'translate.js');
      esbuild.buildSync({
        entryPoints: [path.join(ROOT, 'src/hypervisor/binaryTranslate/translate.ts')],
        outfile: file,
        bundle: true,
        minify: true,
        platform: 'browser',
        format: 'cjs',
        logLevel: 'silent',
      });
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const minified = require(file) as { generateSource?: unknown };
      assert.strictEqual(typeof minified.generateSource, 'function');
    } finally {
      fs.rmSync(folder, { recursive: true, force: true });
    }
  });
});
