// Bundles the web entry points for VS Code for the Web: the extension for the
// web-worker extension host (dist/web/extension.js, `browser` in the manifest)
// and the language server for its own web worker (dist/web/lsp.js). The same
// sources as the desktop bundles; Node's `path` becomes path-browserify, `events`
// the npm package of the same API, `url` the browser's URL and `process` a small shim. Any other Node module reached from these entries
// fails this build, which is how the simulator is kept free of Node IO.
import * as esbuild from 'esbuild';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const shared = {
  bundle: true,
  platform: 'browser',
  target: 'es2022',
  sourcemap: true,
  minify: process.argv.includes('--minify'),
  define: { global: 'globalThis' },
  inject: ['scripts/web/processShim.mjs'],
  alias: { path: require.resolve('path-browserify'), events: require.resolve('events/'), url: './scripts/web/url.mjs' },
  logLevel: 'warning',
};
await esbuild.build({ ...shared, entryPoints: { extension: 'src/extension/browser.ts' }, outdir: 'dist/web', format: 'cjs', external: ['vscode'] });
await esbuild.build({ ...shared, entryPoints: { lsp: 'src/lsp/browserMain.ts' }, outdir: 'dist/web', format: 'iife' });
