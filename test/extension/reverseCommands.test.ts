// Step back and reverse continue are in the Command Palette while a hyperstep
// session is stopped: contributed commands that run VS Code's own.

import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { REVERSE_COMMANDS } from '../../src/extension/reverseCommands';

const manifest = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../../package.json'), 'utf8')) as {
  contributes: { commands: Array<{ command: string; title: string }>; menus: { commandPalette: Array<{ command: string; when?: string }> } };
};

describe('extension: step back in the Command Palette', () => {
  it('contributes Step Back and Reverse Continue, shown while a hyperstep session is stopped', () => {
    const titles = Object.keys(REVERSE_COMMANDS).map((command) => manifest.contributes.commands.find((c) => c.command === command)?.title);
    assert.deepStrictEqual(titles, ['Step Back', 'Reverse Continue']);
    for (const command of Object.keys(REVERSE_COMMANDS)) {
      const entry = manifest.contributes.menus.commandPalette.find((m) => m.command === command);
      assert.strictEqual(entry?.when, "debugType == 'hyperstep' && debugState == 'stopped'", command);
    }
  });

  it("runs VS Code's own step back and reverse continue (which act on the focused thread)", () => {
    assert.deepStrictEqual(Object.values(REVERSE_COMMANDS), ['workbench.action.debug.stepBack', 'workbench.action.debug.reverseContinue']);
    const wiring = fs.readFileSync(path.resolve(__dirname, '../../../src/extension/activation.ts'), 'utf8');
    assert.match(
      wiring,
      /Object\.entries\(REVERSE_COMMANDS\)\.map\(\(\[command, vscodeCommand\]\) => vscode\.commands\.registerCommand\(command, \(\) => vscode\.commands\.executeCommand\(vscodeCommand\)\)\)/,
    );
  });
});
