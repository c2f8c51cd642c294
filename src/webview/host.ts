// The webview's side of the panel protocol: the VS Code webview API (posting
// to the extension), incoming messages, and the header every panel shares.
// Browser code: no Node import, only the protocol types. Guest text is only
// ever assigned with textContent.

import type { FromWebviewMessage, PanelSnapshot, ToWebviewMessage, WalkView } from '../protocol/panelMessages';
import { hex } from './dom';

interface VsCodeApi {
  postMessage(message: FromWebviewMessage): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

export interface PanelRenderer {
  /** Called on every stop with the new snapshot; must update the DOM in place. */
  update(snapshot: PanelSnapshot): void;
  onWalk?(walk: WalkView): void;
}

let api: VsCodeApi | undefined;
let snapshotCount = 0;

export function post(message: FromWebviewMessage): void {
  api ??= acquireVsCodeApi();
  api.postMessage(message);
}

/** Wires a panel: renders each snapshot, shows the shared header and status, then says it is ready. */
export function startPanel(renderer: PanelRenderer): void {
  const status = document.getElementById('status')!;
  window.addEventListener('message', (event: MessageEvent<ToWebviewMessage>) => {
    const message = event.data;
    if (!message || typeof message !== 'object') return;
    switch (message.type) {
      case 'snapshot': {
        document.body.classList.remove('is-stale');
        status.textContent = '';
        const started = performance.now();
        renderHeader(message.snapshot);
        renderer.update(message.snapshot);
        document.body.dataset.drawMs = (performance.now() - started).toFixed(1);
        // Tests (and anyone debugging a panel) can tell that a snapshot has been drawn.
        document.body.dataset.snapshotCount = String(++snapshotCount);
        post({ type: 'rendered', snapshotCount });
        break;
      }
      case 'walk':
        renderer.onWalk?.(message.walk);
        break;
      case 'noSession':
        document.body.classList.add('is-stale');
        status.textContent = 'No hyperstep debug session is stopped; showing the last stop.';
        break;
    }
  });
  post({ type: 'ready' });
}

function renderHeader(snapshot: PanelSnapshot): void {
  const facts = document.getElementById('facts')!;
  const guest = snapshot.guest;
  const texts = [snapshot.setting, `guest ${guest.id} “${guest.name}”`, `pc ${hex(guest.pc)}`, `${guest.isPretendUser ? 'pretend user' : 'pretend kernel'} mode`, `tick ${guest.ticks}`];
  while (facts.children.length < texts.length) facts.appendChild(document.createElement('span'));
  texts.forEach((text, i) => {
    if (facts.children[i].textContent !== text) facts.children[i].textContent = text;
  });
  const stop = document.getElementById('stop')!;
  if (stop.textContent !== snapshot.stopDescription) stop.textContent = snapshot.stopDescription;
}
