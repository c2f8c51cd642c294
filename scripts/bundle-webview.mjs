// Bundles the panels' browser code (src/webview/<kind>.ts) into
// dist/webview/<kind>.js, one self-contained script per panel, loaded by the
// page that src/extension/panels/html.ts writes. A separate build from
// scripts/bundle.mjs because this one targets the browser, not Node.
import * as esbuild from 'esbuild';

const kinds = ['pageTables', 'tlb', 'timeline', 'costs', 'translationCache'];
await esbuild.build({
  entryPoints: Object.fromEntries(kinds.map((kind) => [kind, `src/webview/${kind}.ts`])),
  outdir: 'dist/webview',
  bundle: true,
  platform: 'browser',
  target: 'es2022',
  format: 'iife',
  sourcemap: true,
  minify: process.argv.includes('--minify'),
  logLevel: 'warning',
});
