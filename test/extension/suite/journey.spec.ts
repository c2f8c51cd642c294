// The student's journey inside a real VS Code (extension host): the extension
// activates, F5 on a .g32 file stops on entry, an exception breakpoint on a
// protection fault hits, and the page tables panel opens and fills.
// Waits on events (debug adapter trackers, the panels' update event), never on time.

import * as assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import * as vscode from 'vscode';
import type { HyperstepApi } from '../../../src/extension/extension';
import type { PanelSnapshot } from '../../../src/protocol/panelMessages';

const ROOT = resolve(__dirname, '../../../..');
const KERNEL = join(ROOT, 'examples/os/kernel.g32');

interface StoppedEvent { reason: string; description?: string; text?: string; threadId?: number }

/** Collects the adapter's stopped events for every hyperstep session. */
class StopWatcher implements vscode.Disposable {
  private readonly stops: StoppedEvent[] = [];
  private waiters: Array<() => void> = [];
  private readonly registration: vscode.Disposable;
  constructor() {
    this.registration = vscode.debug.registerDebugAdapterTrackerFactory('hyperstep', {
      createDebugAdapterTracker: () => ({
        onDidSendMessage: (message: { type: string; event?: string; body?: StoppedEvent }) => {
          if (message.type === 'event' && message.event === 'stopped' && message.body) {
            this.stops.push(message.body);
            for (const waiter of this.waiters.splice(0)) waiter();
          }
        },
      }),
    });
  }
  async next(predicate: (stop: StoppedEvent) => boolean, what: string, timeoutMs = 30000): Promise<StoppedEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.stops.findIndex(predicate);
      if (index >= 0) return this.stops.splice(0, index + 1)[index];
      if (Date.now() > deadline) throw new Error(`no stop: ${what}; saw ${JSON.stringify(this.stops)}`);
      await new Promise<void>((done) => { this.waiters.push(done); setTimeout(done, 1000); });
    }
  }
  dispose(): void { this.registration.dispose(); }
}

async function stopAllSessions(): Promise<void> {
  while (vscode.debug.activeDebugSession) {
    const ended = new Promise<void>((done) => { const d = vscode.debug.onDidTerminateDebugSession(() => { d.dispose(); done(); }); });
    await vscode.debug.stopDebugging();
    await ended;
  }
}

describe('hyperstep in VS Code', () => {
  let api: HyperstepApi;
  const stops = new StopWatcher();
  after(() => stops.dispose());
  afterEach(stopAllSessions);

  it('activates on a .g32 file and registers its commands', async () => {
    const document = await vscode.workspace.openTextDocument(KERNEL);
    await vscode.window.showTextDocument(document);
    assert.equal(document.languageId, 'g32');
    const extension = vscode.extensions.getExtension<HyperstepApi>('hyperstep.hyperstep');
    assert.ok(extension, 'the extension is installed');
    api = await extension.activate();
    const commands = await vscode.commands.getCommands(true);
    for (const command of ['hyperstep.openPageTables', 'hyperstep.openTlb', 'hyperstep.openTimeline', 'hyperstep.openCosts', 'hyperstep.openTranslationCache', 'hyperstep.sendInput', 'hyperstep.walkthrough.openFirstLab', 'hyperstep.walkthrough.debugUnderTrapAndEmulate']) {
      assert.ok(commands.includes(command), command);
    }
  });

  it('F5 on a .g32 file, with no launch.json, stops on entry', async () => {
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(KERNEL));
    await vscode.commands.executeCommand('workbench.action.debug.start');
    const stop = await stops.next((s) => s.reason === 'entry', 'stop on entry');
    assert.equal(stop.reason, 'entry');
    assert.equal(vscode.debug.activeDebugSession?.type, 'hyperstep');
  });

  it('an exception breakpoint on a protection fault hits, and the page tables panel fills', async () => {
    const updated = new Promise<PanelSnapshot>((done) => { const d = api.panels.onDidUpdate((s) => { if (/protection/i.test(s.stopDescription)) { d.dispose(); done(s); } }); });
    const started = await vscode.debug.startDebugging(undefined, {
      type: 'hyperstep', request: 'launch', name: 'os under trap-and-emulate', program: KERNEL, virtualization: 'trap-and-emulate', stopOnEntry: true,
    });
    assert.ok(started);
    await stops.next((s) => s.reason === 'entry', 'stop on entry');
    const session = vscode.debug.activeDebugSession!;
    // VS Code sends setExceptionBreakpoints from its Breakpoints view; a test has no view to click.
    await session.customRequest('setExceptionBreakpoints', { filters: ['protection-fault'] });
    await vscode.commands.executeCommand('workbench.action.debug.continue');
    const stop = await stops.next((s) => s.reason === 'exception', 'protection fault');
    assert.match(`${stop.description ?? ''} ${stop.text ?? ''}`, /protection/i);
    assert.ok(api.panels.isOpen('pageTables'), 'the page tables panel opened on the first stop');
    const snapshot = await updated;
    assert.ok(snapshot.pageTables.hypervisorMap.length > 0, 'the hypervisor map has the guest RAM');
    assert.match(snapshot.setting, /trap-and-emulate/);
  });
});
