// What the extension-host suites share, in desktop VS Code (test-electron) and
// in VS Code for the Web (test-web) alike: only the `vscode` API, files named
// relative to the opened workspace (the repository's examples/ folder), and
// waits on events (debug adapter traffic, panel messages), never on time alone.

import * as vscode from 'vscode';
import type { HyperstepApi } from '../../../src/extension/activation';
import type { FromWebviewMessage, PanelKind } from '../../../src/protocol/panelMessages';

export function workspaceFile(relative: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('the suites need the examples/ folder open as the workspace');
  return vscode.Uri.joinPath(folder.uri, relative);
}

export async function activateExtension(): Promise<HyperstepApi> {
  const extension = vscode.extensions.getExtension<HyperstepApi>('hyperstep.hyperstep');
  if (!extension) throw new Error('the hyperstep extension is not installed in this workbench');
  return extension.activate();
}

export async function showFile(relative: string): Promise<vscode.TextEditor> {
  return vscode.window.showTextDocument(await vscode.workspace.openTextDocument(workspaceFile(relative)));
}

interface DapMessage {
  type: string;
  event?: string;
  command?: string;
  body?: Record<string, unknown>;
}
export interface StoppedBody {
  reason: string;
  description?: string;
  text?: string;
  threadId?: number;
}

/** Collects every hyperstep session's stopped events, so a test can wait for the one it expects. */
export class StopWatcher implements vscode.Disposable {
  private readonly stops: StoppedBody[] = [];
  private waiters: Array<() => void> = [];
  private readonly registration: vscode.Disposable;

  constructor() {
    this.registration = vscode.debug.registerDebugAdapterTrackerFactory('hyperstep', {
      createDebugAdapterTracker: () => ({
        onDidSendMessage: (message: DapMessage) => {
          if (message.type === 'event' && message.event === 'stopped' && message.body) {
            this.stops.push(message.body as unknown as StoppedBody);
            for (const waiter of this.waiters.splice(0)) waiter();
          }
        },
      }),
    });
  }

  async next(predicate: (stop: StoppedBody) => boolean, what: string, timeoutMs = 30000): Promise<StoppedBody> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.stops.findIndex(predicate);
      if (index >= 0) return this.stops.splice(0, index + 1)[index];
      if (Date.now() > deadline) throw new Error(`no stop: ${what}; saw ${JSON.stringify(this.stops)}`);
      await new Promise<void>((done) => {
        this.waiters.push(done);
        setTimeout(done, 1000);
      });
    }
  }

  dispose(): void {
    this.registration.dispose();
  }
}

/** Ends every debug session; one that does not report its end within a few seconds is left behind rather than hanging the suite. */
export async function stopAllSessions(): Promise<void> {
  for (let attempt = 0; attempt < 3 && vscode.debug.activeDebugSession; attempt++) {
    const ended = new Promise<void>((done) => {
      const timer = setTimeout(finish, 5000);
      const subscription = vscode.debug.onDidTerminateDebugSession(finish);
      function finish(): void {
        clearTimeout(timer);
        subscription.dispose();
        done();
      }
    });
    await vscode.debug.stopDebugging();
    await ended;
  }
}

export interface TopFrame {
  name: string;
  path: string | undefined;
  sourceReference: number | undefined;
  line: number;
}

/** The top frame of the stopped thread, as the Call Stack view would show it. */
export async function topFrame(session: vscode.DebugSession, threadId = 1): Promise<TopFrame> {
  const trace = (await session.customRequest('stackTrace', { threadId, startFrame: 0, levels: 1 })) as {
    stackFrames: Array<{ name: string; line: number; source?: { path?: string; sourceReference?: number } }>;
  };
  const frame = trace.stackFrames[0];
  if (!frame) throw new Error('the stopped thread has no frame');
  return { name: frame.name, path: frame.source?.path, sourceReference: frame.source?.sourceReference, line: frame.line };
}

/** Resolves when the panel of `kind` reports a message of `type` (its page loaded, or drew a snapshot). */
export function panelMessage(api: HyperstepApi, kind: PanelKind, type: FromWebviewMessage['type'], timeoutMs = 30000): Promise<FromWebviewMessage> {
  const seen: string[] = [];
  return new Promise((done, fail) => {
    const timer = setTimeout(() => {
      subscription.dispose();
      fail(new Error(`the ${kind} panel sent no '${type}' message; messages meanwhile: ${seen.join(', ') || 'none'}`));
    }, timeoutMs);
    const subscription = api.panels.onDidReceiveMessage((received) => {
      seen.push(`${received.kind}:${received.message.type}`);
      if (received.kind !== kind || received.message.type !== type) return;
      clearTimeout(timer);
      subscription.dispose();
      done(received.message);
    });
  });
}

/** True when `reported` (a path or a URI string from the adapter) names the workspace file `relative`. */
export function isWorkspaceFile(reported: string | undefined, relative: string): boolean {
  if (!reported) return false;
  const expected = workspaceFile(relative);
  const uri = /^[a-zA-Z][a-zA-Z0-9+.-]+:\/\//.test(reported) ? vscode.Uri.parse(reported) : vscode.Uri.file(reported);
  return uri.path === expected.path;
}
