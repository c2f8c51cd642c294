// Owns the panels (one webview per kind) and keeps them in step with the
// debugger: on every stop of a hyperstep session it asks the adapter for a
// snapshot (`hyperstep/snapshot`) and posts it to every open panel; it answers
// the panels' requests (walks, revealing a source line, another comparison).
// It holds no simulator object: only the PanelSnapshot view model.

import * as vscode from 'vscode';
import type { FromWebviewMessage, PanelKind, PanelSnapshot, ToWebviewMessage, WalkView } from '../../protocol/panelMessages';
import { PANEL_TITLES, panelHtml } from './html';
import { revealableLine } from './revealSource';

const VIEW_TYPE_PREFIX = 'hyperstep.panel.';

/** The adapter has one thread per guest, numbered from 1; the panel requests name guests from 0. */
function guestOfThread(threadId: number): number {
  return threadId - 1;
}

export class PanelManager implements vscode.Disposable {
  private readonly panels = new Map<PanelKind, vscode.WebviewPanel>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly stoppedSessions = new Set<string>();
  private session: vscode.DebugSession | undefined;
  private snapshot: PanelSnapshot | undefined;
  private threadId: number | undefined;
  private compareWith: string | undefined;
  private isFetching = false;
  private isFetchPending = false;
  private readonly onDidUpdateEmitter = new vscode.EventEmitter<PanelSnapshot>();
  /** Fires after each snapshot was posted to the panels (the extension tests wait on it). */
  readonly onDidUpdate = this.onDidUpdateEmitter.event;
  private readonly onDidReceiveMessageEmitter = new vscode.EventEmitter<{ kind: PanelKind; message: FromWebviewMessage }>();
  /** Every message a panel's page sent (the extension tests wait for `rendered`). */
  readonly onDidReceiveMessage = this.onDidReceiveMessageEmitter.event;

  /** `sourceUri` turns the adapter's source paths into documents: files on the desktop, workspace URIs in the browser. */
  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly sourceUri: (path: string) => vscode.Uri = vscode.Uri.file,
  ) {
    this.disposables.push(
      vscode.debug.registerDebugAdapterTrackerFactory('hyperstep', {
        createDebugAdapterTracker: (session) => ({
          onDidSendMessage: (message: { type?: string; event?: string; body?: { threadId?: number } }) => {
            if (message.type === 'event' && message.event === 'stopped') setTimeout(() => this.onStopped(session, message.body?.threadId), 0);
          },
        }),
      }),
      vscode.debug.onDidTerminateDebugSession((session) => {
        this.stoppedSessions.delete(session.id);
        if (session.id === this.session?.id) {
          this.session = undefined;
          this.postAll({ type: 'noSession' });
        }
      }),
      vscode.debug.onDidChangeActiveDebugSession((session) => {
        if (session?.type === 'hyperstep' && session.id !== this.session?.id && this.stoppedSessions.has(session.id)) {
          this.session = session;
          this.refresh();
        }
      }),
      this.onDidUpdateEmitter,
      this.onDidReceiveMessageEmitter,
    );
  }

  isOpen(kind: PanelKind): boolean {
    return this.panels.has(kind);
  }

  open(kind: PanelKind, options: { preserveFocus?: boolean } = {}): vscode.WebviewPanel {
    const existing = this.panels.get(kind);
    if (existing) {
      existing.reveal(undefined, options.preserveFocus);
      return existing;
    }
    const scriptRoot = vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview');
    const panel = vscode.window.createWebviewPanel(
      VIEW_TYPE_PREFIX + kind,
      `hyperstep: ${PANEL_TITLES[kind]}`,
      {
        viewColumn: vscode.ViewColumn.Beside,
        preserveFocus: options.preserveFocus ?? false,
      },
      {
        enableScripts: true,
        localResourceRoots: [scriptRoot],
      },
    );
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'panel.svg');
    panel.webview.html = panelHtml({
      kind,
      cspSource: panel.webview.cspSource,
      nonce: newNonce(),
      scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(scriptRoot, `${kind}.js`)).toString(),
    });
    panel.webview.onDidReceiveMessage((message: FromWebviewMessage) => this.onMessage(kind, message), undefined, this.disposables);
    panel.onDidDispose(() => this.panels.delete(kind), undefined, this.disposables);
    this.panels.set(kind, panel);
    return panel;
  }

  /** A hyperstep session stopped: open the first-stop panels once, then refresh every open panel. */
  onStopped(session: vscode.DebugSession, threadId: number | undefined): void {
    this.session = session;
    this.threadId = threadId;
    if (!this.stoppedSessions.has(session.id)) {
      this.stoppedSessions.add(session.id);
      const settings = vscode.workspace.getConfiguration('hyperstep.panels');
      if (settings.get<boolean>('openOnFirstStop', true)) {
        for (const kind of settings.get<PanelKind[]>('firstStopPanels', ['pageTables'])) {
          if (PANEL_TITLES[kind]) this.open(kind, { preserveFocus: true });
        }
      }
    }
    this.refresh();
  }

  /** Fetches a snapshot and posts it; stops that arrive while one is being fetched are folded into one more fetch. */
  refresh(): void {
    if (!this.session || this.panels.size === 0) return;
    if (this.isFetching) {
      this.isFetchPending = true;
      return;
    }
    this.isFetching = true;
    const session = this.session;
    const args: Record<string, unknown> = {};
    if (this.threadId !== undefined) args.guest = guestOfThread(this.threadId);
    if (this.compareWith) args.compareWith = this.compareWith;
    void Promise.resolve(session.customRequest('hyperstep/snapshot', args))
      .then(
        (snapshot: PanelSnapshot) => {
          if (session.id !== this.session?.id || !snapshot) return;
          this.snapshot = snapshot;
          this.postAll({ type: 'snapshot', snapshot });
          this.onDidUpdateEmitter.fire(snapshot);
        },
        () => undefined, // The session ended or runs again; the next stop brings a new snapshot.
      )
      .finally(() => {
        this.isFetching = false;
        if (this.isFetchPending) {
          this.isFetchPending = false;
          this.refresh();
        }
      });
  }

  private postAll(message: ToWebviewMessage): void {
    for (const panel of this.panels.values()) void panel.webview.postMessage(message);
  }

  private async onMessage(kind: PanelKind, message: FromWebviewMessage): Promise<void> {
    const panel = this.panels.get(kind);
    if (!panel) return;
    this.onDidReceiveMessageEmitter.fire({ kind, message });
    switch (message.type) {
      case 'ready':
        // A panel (re)loaded its page: give it the last stop at once.
        if (this.snapshot) void panel.webview.postMessage({ type: 'snapshot', snapshot: this.snapshot } satisfies ToWebviewMessage);
        if (!this.session) void panel.webview.postMessage({ type: 'noSession' } satisfies ToWebviewMessage);
        else if (!this.snapshot) this.refresh();
        break;
      case 'requestWalk': {
        if (!this.session) return;
        const args: Record<string, unknown> = { va: message.va };
        if (this.threadId !== undefined) args.guest = guestOfThread(this.threadId);
        try {
          const walk = (await this.session.customRequest('hyperstep/walk', args)) as WalkView;
          void panel.webview.postMessage({ type: 'walk', walk } satisfies ToWebviewMessage);
        } catch (error) {
          void vscode.window.showWarningMessage(`hyperstep: no walk for that address: ${error instanceof Error ? error.message : String(error)}`);
        }
        break;
      }
      case 'rendered':
        break;
      case 'revealSource': {
        const line = revealableLine(this.snapshot, message.path, message.line);
        if (line === undefined) return;
        const uri = this.sourceUri(message.path);
        const document = await vscode.workspace.openTextDocument(uri);
        await vscode.window.showTextDocument(document, {
          viewColumn: vscode.ViewColumn.One,
          selection: new vscode.Range(line, 0, line, 0),
          preserveFocus: false,
        });
        break;
      }
      case 'compareWith':
        this.compareWith = message.setting;
        this.refresh();
        break;
    }
  }

  dispose(): void {
    for (const panel of this.panels.values()) panel.dispose();
    for (const disposable of this.disposables) disposable.dispose();
  }
}

/** A script nonce for the panel's content security policy; Web Crypto, so the same code runs in Node and in a web worker. */
function newNonce(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(18));
  return btoa(String.fromCharCode(...bytes));
}
