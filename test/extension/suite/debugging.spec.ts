// Debugging inside the workbench: F5 with no launch.json, an exception filter
// stopping on the faulting line, stepping into the hypervisor and back, the
// panels' snapshot request, and every panel drawing its first snapshot.

import { strict as assert } from 'assert';
import * as vscode from 'vscode';
import type { HyperstepApi } from '../../../src/extension/activation';
import type { PanelKind, PanelSnapshot } from '../../../src/protocol/panelMessages';
import { activateExtension, isWorkspaceFile, panelMessage, showFile, StopWatcher, stopAllSessions, topFrame, workspaceFile } from './workbench';

/** The first privileged instruction the example OS executes: `mov evt, r1` in trap.g32. */
const FIRST_PRIVILEGED = { file: 'os/trap.g32', line: 16 };

describe('debugging', () => {
  let api: HyperstepApi;
  const stops = new StopWatcher();
  before(async () => {
    api = await activateExtension();
  });
  after(() => stops.dispose());
  afterEach(stopAllSessions);

  async function launchUnderTrapAndEmulate(): Promise<vscode.DebugSession> {
    const started = await vscode.debug.startDebugging(vscode.workspace.workspaceFolders?.[0], {
      type: 'hyperstep',
      request: 'launch',
      name: 'os under trap-and-emulate',
      program: workspaceFile('os/kernel.g32').path,
      virtualization: 'trap-and-emulate',
      stopOnEntry: true,
    });
    assert.ok(started, 'the session started');
    await stops.next((s) => s.reason === 'entry', 'stop on entry');
    return vscode.debug.activeDebugSession!;
  }

  async function stopAtFirstProtectionFault(): Promise<vscode.DebugSession> {
    const session = await launchUnderTrapAndEmulate();
    // VS Code sends setExceptionBreakpoints from its Breakpoints view; a test has no view to click.
    await session.customRequest('setExceptionBreakpoints', { filters: ['protection-fault'] });
    await vscode.commands.executeCommand('workbench.action.debug.continue');
    const stop = await stops.next((s) => s.reason === 'exception', 'protection fault');
    assert.match(`${stop.description ?? ''} ${stop.text ?? ''}`, /protection/i);
    return session;
  }

  it('F5 on a .g32 file, with no launch.json, starts a session that stops on entry', async () => {
    await showFile('hello.g32');
    await vscode.commands.executeCommand('workbench.action.debug.start');
    await stops.next((s) => s.reason === 'entry', 'stop on entry');
    const session = vscode.debug.activeDebugSession;
    assert.ok(session?.type === 'hyperstep', `the active session is hyperstep's, not ${session?.type}`);
    const top = await topFrame(session);
    assert.ok(isWorkspaceFile(top.path, 'hello.g32'), `stopped in hello.g32, not ${top.path}`);
  });

  it('the protection-fault filter stops on the faulting line under trap-and-emulate', async () => {
    const session = await stopAtFirstProtectionFault();
    const top = await topFrame(session);
    assert.ok(isWorkspaceFile(top.path, FIRST_PRIVILEGED.file), `stopped in ${FIRST_PRIVILEGED.file}, not ${top.path}`);
    assert.equal(top.line, FIRST_PRIVILEGED.line);
  });

  it('steps into the hypervisor and back again', async () => {
    const session = await stopAtFirstProtectionFault();
    await vscode.commands.executeCommand('workbench.action.debug.stepInto');
    await stops.next((s) => s.reason === 'step', 'step into the hypervisor');
    const inside = await topFrame(session);
    assert.match(inside.name, /hypervisor/);
    assert.ok(inside.sourceReference, 'the hypervisor frame shows the trap(tf) pseudocode');
    const pseudocode = (await session.customRequest('source', { sourceReference: inside.sourceReference })) as { content: string };
    assert.match(pseudocode.content, /trap\(/);
    await session.customRequest('stepBack', { threadId: 1 });
    await stops.next((s) => s.reason === 'step', 'step back');
    const back = await topFrame(session);
    assert.ok(isWorkspaceFile(back.path, FIRST_PRIVILEGED.file) && back.line <= FIRST_PRIVILEGED.line, `stepped back into the guest: ${back.path}:${back.line}`);
  });

  it("answers the panels' snapshot request", async () => {
    const session = await stopAtFirstProtectionFault();
    const snapshot = (await session.customRequest('hyperstep/snapshot', {})) as PanelSnapshot;
    assert.match(snapshot.setting, /trap-and-emulate/);
    assert.ok(snapshot.pageTables.hypervisorMap.length > 0, 'the hypervisor map has the guest RAM');
    assert.match(snapshot.stopDescription, /protection/i);
  });

  it('opens every panel, and each draws the stop', async () => {
    await stopAtFirstProtectionFault();
    const commands: Array<[string, PanelKind]> = [
      ['hyperstep.openPageTables', 'pageTables'],
      ['hyperstep.openTlb', 'tlb'],
      ['hyperstep.openTimeline', 'timeline'],
      ['hyperstep.openCosts', 'costs'],
      ['hyperstep.openTranslationCache', 'translationCache'],
    ];
    for (const [command, kind] of commands) {
      const rendered = panelMessage(api, kind, 'rendered');
      await vscode.commands.executeCommand(command);
      // VS Code for the Web sometimes leaves a webview created among others unloaded until it is
      // focused: after a while, run the command again, as a user would click it again.
      const again = setTimeout(() => void vscode.commands.executeCommand(command), 10000);
      const message = await rendered.finally(() => clearTimeout(again));
      assert.ok(message.type === 'rendered' && message.snapshotCount >= 1, `${kind} drew a snapshot`);
      assert.ok(api.panels.isOpen(kind));
    }
  });
});
