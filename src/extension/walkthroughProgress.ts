// Completes the steps of the "Get started with hyperstep" walkthrough when the
// user really does what they ask: it watches opened editors and every
// hyperstep debug session's DAP traffic (a tracker, which changes nothing) and
// sets the context keys the walkthrough's `completionEvents` wait for. What
// counts as which step is decided in walkthroughSteps.ts. It also offers the
// two commands the walkthrough's buttons run: open the first lab, and debug
// the active guest under trap-and-emulate.

import * as path from 'path';
import * as vscode from 'vscode';
import type { ProgramLocator } from './configProvider';
import { DapMessage, WALKTHROUGH_CONTEXT_KEYS, WalkthroughProgress, isLabGuest, progressFromAdapter, progressFromRequest } from './walkthroughSteps';

const FIRST_LAB = 'labs/01-privileged';

export function registerWalkthroughProgress(context: vscode.ExtensionContext, locator: ProgramLocator): void {
  const reached = new Set<WalkthroughProgress>();
  const mark = (progress: readonly WalkthroughProgress[]): void => {
    for (const step of progress) {
      if (reached.has(step)) continue;
      reached.add(step);
      void vscode.commands.executeCommand('setContext', WALKTHROUGH_CONTEXT_KEYS[step], true);
    }
  };
  const checkDocument = (document: vscode.TextDocument | undefined): void => {
    if (document && locator.canLaunch(document.uri) && isLabGuest(locator.programPath(document.uri))) mark(['labOpened']);
  };

  context.subscriptions.push(
    vscode.debug.registerDebugAdapterTrackerFactory('hyperstep', {
      createDebugAdapterTracker: () => ({
        onWillReceiveMessage: (message: DapMessage) => mark(progressFromRequest(message)),
        onDidSendMessage: (message: DapMessage) => mark(progressFromAdapter(message)),
      }),
    }),
    vscode.window.onDidChangeActiveTextEditor((editor) => checkDocument(editor?.document)),
    vscode.workspace.onDidOpenTextDocument(checkDocument),
    vscode.commands.registerCommand('hyperstep.walkthrough.openFirstLab', openFirstLab),
    vscode.commands.registerCommand('hyperstep.walkthrough.debugUnderTrapAndEmulate', () => debugUnderTrapAndEmulate(locator)),
  );
  checkDocument(vscode.window.activeTextEditor?.document);
}

/** Opens the first lab's README (as a preview) and its guest, from whichever workspace folder holds `labs/`. */
async function openFirstLab(): Promise<void> {
  const [guest] = await vscode.workspace.findFiles(`**/${FIRST_LAB}/guest.g32`, '**/node_modules/**', 1);
  if (!guest) {
    void vscode.window.showInformationMessage(`hyperstep: open the folder that holds ${FIRST_LAB}/ (File → Open Folder… on your hyperstep checkout) to start the labs.`);
    return;
  }
  const readme = vscode.Uri.joinPath(guest, '..', 'README.md');
  await vscode.window.showTextDocument(guest, { preview: false });
  await vscode.commands.executeCommand('markdown.showPreviewToSide', readme);
}

/** Debugs the active .g32 file under trap-and-emulate, where the hypervisor has frames to step into. */
async function debugUnderTrapAndEmulate(locator: ProgramLocator): Promise<void> {
  const document = vscode.window.activeTextEditor?.document;
  if (document?.languageId !== 'g32' || !locator.canLaunch(document.uri)) {
    void vscode.window.showInformationMessage("hyperstep: open a .g32 file (the lab's guest) first.");
    return;
  }
  await vscode.debug.startDebugging(vscode.workspace.getWorkspaceFolder(document.uri), {
    type: 'hyperstep',
    request: 'launch',
    name: `${path.basename(locator.programPath(document.uri))} on trap-and-emulate`,
    program: locator.programPath(document.uri),
    virtualization: 'trap-and-emulate',
    paging: 'shadow-on-demand',
    stopOnEntry: true,
  });
}
