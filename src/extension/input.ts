// "Send Keyboard Input to the Guest": what the user types joins the guest's
// keyboard queue at once (docs/machine.md, Devices and the console), through the adapter's REPL
// command `input TEXT`, so it also works from the Debug Console by hand.

import * as vscode from 'vscode';

export async function sendInput(text?: string): Promise<void> {
  const session = vscode.debug.activeDebugSession;
  if (session?.type !== 'hyperstep') {
    void vscode.window.showWarningMessage('hyperstep: no hyperstep debug session is active.');
    return;
  }
  const typed =
    text ??
    (await vscode.window.showInputBox({
      title: 'Send keyboard input to the guest',
      prompt: 'The bytes join the keyboard queue now (port 0x60); \\n is a newline.',
      placeHolder: 'k',
    }));
  if (typed === undefined || typed === '') return;
  try {
    await session.customRequest('evaluate', { expression: `input ${typed}`, context: 'repl' });
  } catch (error) {
    void vscode.window.showErrorMessage(`hyperstep: could not send the input: ${error instanceof Error ? error.message : String(error)}`);
  }
}
