// Runs the extension-host suite (suite/*.spec.js) in a real VS Code through
// @vscode/test-electron. Which VS Code: the executable in VSCODE_EXECUTABLE
// (nothing is downloaded). Without it the suite is skipped with one line and
// exit status 0, so `npm run test:extension` is harmless on machines without one.

import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runTests } from '@vscode/test-electron';

const ROOT = resolve(__dirname, '../../..');

async function main(): Promise<void> {
  const vscodeExecutablePath = process.env.VSCODE_EXECUTABLE;
  if (!vscodeExecutablePath) {
    console.log('test:extension skipped: set VSCODE_EXECUTABLE to a VS Code executable to run the extension-host tests');
    return;
  }
  const userData = mkdtempSync(join(tmpdir(), 'hyperstep-ext-'));
  mkdirSync(join(userData, 'User'), { recursive: true });
  writeFileSync(
    join(userData, 'User', 'settings.json'),
    JSON.stringify({
      'security.workspace.trust.enabled': false,
      'workbench.startupEditor': 'none',
      'chat.disableAIFeatures': true,
      'debug.openDebug': 'neverOpen',
    }),
  );
  try {
    await runTests({
      vscodeExecutablePath,
      extensionDevelopmentPath: ROOT,
      extensionTestsPath: join(__dirname, 'suite', 'index.js'),
      launchArgs: [join(ROOT, 'examples'), '--disable-extensions', '--disable-workspace-trust', `--user-data-dir=${userData}`, '--no-sandbox'],
    });
  } finally {
    rmSync(userData, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(`test:extension failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
