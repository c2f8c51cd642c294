// The extension-host suites' entry point in VS Code for the Web (test-web's
// extensionTestsPath), bundled for the web worker by scripts/test-web.mjs:
// mocha's browser build runs the same suites as the desktop (test/extension/suite).

// eslint-disable-next-line @typescript-eslint/no-require-imports
require('mocha/mocha');

declare const mocha: {
  setup(options: { ui: string; reporter?: unknown; timeout: number; color: boolean }): void;
  run(callback: (failures: number) => void): void;
};

export function run(): Promise<void> {
  mocha.setup({ ui: 'bdd', reporter: undefined, timeout: 60000, color: false });
  // Loaded after mocha.setup, which defines describe and it: an import would run them too early.
  /* eslint-disable @typescript-eslint/no-require-imports */
  require('../../extension/suite/activation.spec');
  require('../../extension/suite/language.spec');
  require('../../extension/suite/debugging.spec');
  /* eslint-enable @typescript-eslint/no-require-imports */
  return new Promise((done, fail) => {
    mocha.run((failures) => (failures ? fail(new Error(`${failures} web extension test(s) failed`)) : done()));
  });
}
