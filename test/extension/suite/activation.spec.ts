// The extension activates on a .g32 file and every command its manifest
// declares is registered.

import { strict as assert } from 'assert';
import * as vscode from 'vscode';
import { activateExtension, showFile } from './workbench';

describe('activation', () => {
  it('activates on a .g32 file, as the G32 language', async () => {
    const editor = await showFile('os/kernel.g32');
    assert.equal(editor.document.languageId, 'g32');
    const api = await activateExtension();
    assert.ok(api.panels, 'activate returns the panels');
    assert.ok(vscode.extensions.getExtension('hyperstep.hyperstep')?.isActive);
  });

  it('registers every command of the manifest', async () => {
    await activateExtension();
    const manifest = vscode.extensions.getExtension('hyperstep.hyperstep')!.packageJSON as { contributes: { commands: Array<{ command: string }> } };
    const declared = manifest.contributes.commands.map((c) => c.command);
    assert.ok(declared.length >= 6, `the manifest declares ${declared.length} commands`);
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.deepEqual(
      declared.filter((command) => !registered.has(command)),
      [],
    );
  });
});
