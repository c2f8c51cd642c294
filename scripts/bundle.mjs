// Bundles the entry points with esbuild: the extension, the command line, the
// stand-alone debug adapter and language server, and the demo and bench scripts.
import * as esbuild from 'esbuild';
import { existsSync } from 'fs';

const entries = {
  cli: 'src/cli/main.ts',
  demo: 'scripts/demo.ts',
  bench: 'scripts/bench.ts',
  extension: 'src/extension/extension.ts',
  dap: 'src/debug/main.ts',
  lsp: 'src/lsp/main.ts',
};
const entryPoints = Object.fromEntries(Object.entries(entries).filter(([, file]) => existsSync(file)));
await esbuild.build({
  entryPoints,
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  target: 'node18',
  format: 'cjs',
  sourcemap: true,
  external: ['vscode'],
  logLevel: 'warning',
});
