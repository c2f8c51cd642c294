// `npm run watch`: `tsc -b --watch` over every layer's project, and after each
// compilation without errors the esbuild bundles again (scripts/bundle.mjs and
// scripts/bundle-webview.mjs, whatever entries they list), so out/ and dist/
// both follow the sources: for "Run Extension" (dist/) and mocha (out/).
import { spawn } from 'child_process';
import { createRequire } from 'module';

const require = createRequire(import.meta.url);
const tscBin = require.resolve('typescript/bin/tsc');
const BUNDLES = ['scripts/bundle.mjs', 'scripts/bundle-webview.mjs'];

let isBundling = false;
let isBundleWanted = false;

function bundle() {
  if (isBundling) {
    isBundleWanted = true;
    return;
  }
  isBundling = true;
  const started = Date.now();
  let pending = BUNDLES.length;
  let failed = false;
  for (const script of BUNDLES) {
    const child = spawn(process.execPath, [script], { stdio: 'inherit' });
    child.on('exit', (code) => {
      if (code !== 0) failed = true;
      if (--pending > 0) return;
      console.log(`[watch] bundles ${failed ? 'failed' : `written to dist/ in ${Date.now() - started} ms`}`);
      isBundling = false;
      if (isBundleWanted) {
        isBundleWanted = false;
        bundle();
      }
    });
  }
}

const tsc = spawn(process.execPath, [tscBin, '-b', '--watch', '--preserveWatchOutput'], { stdio: ['ignore', 'pipe', 'inherit'] });
let pendingLine = '';
tsc.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  const lines = (pendingLine + chunk.toString()).split('\n');
  pendingLine = lines.pop();
  // tsc's watch summary line; bundles are built only from code that type-checks.
  if (lines.some((line) => /Found 0 errors\./.test(line))) bundle();
});
tsc.on('exit', (code) => process.exit(code ?? 1));
for (const signal of ['SIGINT', 'SIGTERM'])
  process.on(signal, () => {
    tsc.kill(signal);
    process.exit(0);
  });
