// The extension-host suites' entry point in desktop VS Code (test-electron's
// extensionTestsPath): runs every suite/*.spec.js with mocha. Named .spec so
// the plain `npm test` mocha run, which has no VS Code, does not pick them up.
// test/web/suite/index.ts is the same for VS Code for the Web.

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import Mocha from 'mocha';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', timeout: 60000, color: true });
  for (const file of readdirSync(__dirname).filter((f) => f.endsWith('.spec.js'))) mocha.addFile(join(__dirname, file));
  return new Promise((done, fail) => {
    mocha.run((failures) => (failures ? fail(new Error(`${failures} extension test(s) failed`)) : done()));
  });
}
