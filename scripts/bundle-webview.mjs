// Bundles the panels' browser code (src/webview/<kind>.ts) into
// dist/webview/<kind>.js, one self-contained script per panel, loaded by the
// page that src/extension/panels/html.ts writes. A separate build from
// scripts/bundle.mjs because this one targets the browser, not Node.
// The panels come from their one list, src/protocol/panels.ts (compiled by `tsc -b` first).
import * as esbuild from 'esbuild';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const panelsModule = new URL('../out/src/protocol/panels.js', import.meta.url);
if (!existsSync(panelsModule)) {
  console.error('bundle-webview: out/src/protocol/panels.js is missing: run `npx tsc -b` first');
  process.exit(1);
}
const kinds = createRequire(import.meta.url)(panelsModule.pathname).PANELS.map((panel) => panel.kind);
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
