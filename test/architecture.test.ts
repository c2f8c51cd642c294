// The layers of ARCHITECTURE.md, checked: each folder of src/ imports only the
// folders allowed below it, and the simulator never reaches VS Code, DAP or LSP.

import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';

const SRC = path.resolve(__dirname, '../../src');

/** Folder -> folders (and packages) it may import. */
const ALLOWED: Record<string, string[]> = {
  machine: [],
  hypervisor: ['machine'],
  asm: ['machine'],
  loader: ['machine', 'hypervisor', 'asm'],
  protocol: [],
  debug: ['machine', 'hypervisor', 'asm', 'loader', 'protocol', '@vscode/debugadapter', '@vscode/debugprotocol'],
  lsp: ['machine', 'hypervisor', 'asm', 'loader', 'vscode-languageserver', 'vscode-languageserver-textdocument', 'vscode-languageserver/node', 'vscode-languageserver/browser'],
  labs: ['machine', 'hypervisor', 'asm', 'loader'],
  cli: ['machine', 'hypervisor', 'asm', 'loader', 'labs', 'commander'],
  webview: ['protocol'],
  extension: [
    'machine',
    'hypervisor',
    'asm',
    'loader',
    'protocol',
    'debug',
    'lsp',
    'webview',
    'vscode',
    'vscode-languageclient',
    'vscode-languageclient/node',
    'vscode-languageclient/browser',
    '@vscode/debugadapter',
  ],
};

const NODE_BUILTINS = new Set(['fs', 'path', 'os', 'child_process', 'util', 'events', 'net', 'crypto', 'url', 'stream', 'process', 'readline', 'http', 'assert', 'worker_threads']);

/** Layers that run in any JavaScript host: no Node, no DOM, not even in their types. */
const HOSTLESS = ['machine', 'hypervisor', 'asm', 'protocol'];

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const match of text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/gm)) found.push(match[1]);
  for (const match of text.matchAll(/require\('([^']+)'\)/g)) found.push(match[1]);
  return found;
}

describe('architecture: layers import only downwards', () => {
  for (const layer of Object.keys(ALLOWED)) {
    it(`src/${layer} imports only ${ALLOWED[layer].join(', ') || 'itself'}`, () => {
      const dir = path.join(SRC, layer);
      if (!fs.existsSync(dir)) return;
      const violations: string[] = [];
      for (const file of sourceFiles(dir)) {
        for (const spec of importsOf(file)) {
          const bare = spec.replace(/^node:/, '');
          if (NODE_BUILTINS.has(bare)) {
            // The assembler gets files through readSourceFile and include paths through IncludePaths.
            if (HOSTLESS.includes(layer) || layer === 'webview') violations.push(`${path.relative(SRC, file)} imports ${spec} (the simulator does no IO)`);
            continue;
          }
          if (spec.startsWith('.')) {
            const target = path.relative(SRC, path.resolve(path.dirname(file), spec)).split(path.sep)[0];
            if (target !== layer && !ALLOWED[layer].includes(target)) violations.push(`${path.relative(SRC, file)} imports ${spec} (layer ${target})`);
          } else if (!ALLOWED[layer].some((allowed) => spec === allowed || spec.startsWith(`${allowed}/`))) {
            violations.push(`${path.relative(SRC, file)} imports package ${spec}`);
          }
        }
      }
      assert.deepStrictEqual(violations, []);
    });
  }
});

/** Every module reachable through relative imports from `entry`, with the packages and builtins each imports. */
function reachable(entry: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (found.has(file)) continue;
    const specs = importsOf(file);
    found.set(
      file,
      specs.filter((spec) => !spec.startsWith('.')),
    );
    for (const spec of specs.filter((s) => s.startsWith('.'))) {
      const base = path.resolve(path.dirname(file), spec);
      const target = [`${base}.ts`, path.join(base, 'index.ts')].find((candidate) => fs.existsSync(candidate));
      if (target) pending.push(target);
    }
  }
  return found;
}

// The web build runs in a browser's workers: `path` and `events` are bundled
// from npm (scripts/bundle-web.mjs), but nothing may need Node's IO.
const BROWSER_FORBIDDEN = new Set([
  'fs',
  'os',
  'child_process',
  'net',
  'worker_threads',
  'crypto',
  'http',
  'readline',
  'stream',
  'vscode-languageclient/node',
  'vscode-languageserver/node',
  'vscode-languageserver-protocol/node',
  'vscode-jsonrpc/node',
]);

describe('architecture: the web build needs no Node IO', () => {
  for (const entry of ['extension/browser.ts', 'lsp/browserMain.ts']) {
    it(`src/${entry} reaches no Node-only module`, () => {
      const violations: string[] = [];
      const modules = reachable(path.join(SRC, entry));
      for (const [file, packages] of modules) {
        for (const spec of packages) if (BROWSER_FORBIDDEN.has(spec.replace(/^node:/, ''))) violations.push(`${path.relative(SRC, file)} imports ${spec}`);
      }
      assert.ok(modules.size > 20, `the walk from ${entry} found only ${modules.size} modules`);
      assert.deepStrictEqual(violations, []);
    });
  }
});

describe('architecture: the simulator layers compile without a host', () => {
  for (const layer of HOSTLESS) {
    it(`src/${layer}/tsconfig.json sees ECMAScript only (no Node or DOM types)`, () => {
      // tsconfig.json allows comments; these files have none inside strings.
      const text = fs.readFileSync(path.join(SRC, layer, 'tsconfig.json'), 'utf8').replace(/^\s*\/\/.*$/gm, '');
      const options = JSON.parse(text).compilerOptions;
      assert.deepStrictEqual({ lib: options.lib, types: options.types }, { lib: ['ES2022'], types: [] });
    });
  }
});
