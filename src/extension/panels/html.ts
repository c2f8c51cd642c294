// The one function that writes a panel's page: a strict Content Security
// Policy with a per-load nonce, the shared stylesheet (colours only from the
// `--vscode-*` theme variables) and an empty shell that the bundled webview
// script (dist/webview/<kind>.js) fills in. It imports nothing from `vscode`, so
// the browser tests build the very same page; nothing guest-controlled is ever
// written here (the script puts guest text into the page with textContent).

import type { PanelKind } from '../../protocol/panelMessages';

export { PANEL_KINDS, PANEL_TITLES } from '../../protocol/panels';
import { PANEL_KINDS, PANEL_TITLES } from '../../protocol/panels';

export interface PanelPageOptions {
  kind: PanelKind;
  /** `webview.cspSource` in VS Code; the test server's origin in the browser tests. */
  cspSource: string;
  /** A fresh random string per page load (base64 or hex, no quotes). */
  nonce: string;
  /** Where the panel's bundled script is served from (`webview.asWebviewUri(...)`). */
  scriptUri: string;
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [`default-src 'none'`, `script-src 'nonce-${nonce}'`, `style-src ${cspSource} 'nonce-${nonce}'`].join('; ');
}

export function panelHtml(options: PanelPageOptions): string {
  const { kind, cspSource, nonce, scriptUri } = options;
  if (!PANEL_KINDS.includes(kind)) throw new Error(`unknown panel kind ${String(kind)}`);
  if (!/^[A-Za-z0-9+/=_-]+$/.test(nonce)) throw new Error('a nonce must be base64 or hex');
  const title = PANEL_TITLES[kind];
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attribute(contentSecurityPolicy(cspSource, nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>hyperstep: ${title}</title>
<style nonce="${nonce}">${PANEL_CSS}</style>
</head>
<body data-panel="${kind}">
<header class="panel-header">
  <h1>${title}</h1>
  <div class="facts" id="facts"></div>
  <div class="stop" id="stop"></div>
</header>
<div class="status" id="status" role="status">Waiting for a hyperstep debug session to stop…</div>
<main id="app" class="app app-${kind}"></main>
<script nonce="${nonce}" src="${attribute(scriptUri)}"></script>
</body>
</html>`;
}

function attribute(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Row height of every virtualized table, in CSS pixels; the scroller positions rows by it. */
export const ROW_HEIGHT = 22;

const PANEL_CSS = `
:root { color-scheme: light dark; }
* { box-sizing: border-box; }
html, body { height: 100%; margin: 0; }
body {
  display: flex; flex-direction: column; overflow: hidden; padding: 0 12px 8px;
  font-family: var(--vscode-font-family, sans-serif); font-size: var(--vscode-font-size, 13px);
  color: var(--vscode-foreground); background: var(--vscode-editor-background);
}
.mono, .cell, pre, .walk-text { font-family: var(--vscode-editor-font-family, monospace); font-size: var(--vscode-editor-font-size, 12px); }
.panel-header { flex: none; padding: 8px 0 6px; border-bottom: 1px solid var(--vscode-panel-border, transparent); }
h1 { font-size: 1.15em; font-weight: 600; margin: 0 0 2px; display: inline-block; margin-right: 12px; }
h2 { font-size: 1em; font-weight: 600; margin: 0; }
.facts { display: inline; color: var(--vscode-descriptionForeground); }
.facts span + span::before { content: " · "; }
.stop { margin-top: 4px; }
.stop:empty { display: none; }
.stop { border-left: 3px solid var(--vscode-debugIcon-pauseForeground, var(--vscode-charts-yellow)); padding-left: 6px; }
.status { flex: none; margin: 6px 0; color: var(--vscode-descriptionForeground); }
.status:empty { display: none; }
body.is-stale .app { opacity: 0.55; }
.app { flex: 1; min-height: 0; display: flex; flex-direction: column; gap: 8px; padding-top: 6px; }
.toolbar { flex: none; display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: center; }
.summary { display: flex; flex-wrap: wrap; gap: 6px 18px; }
.summary .k { color: var(--vscode-descriptionForeground); margin-right: 4px; }
input, select {
  font: inherit; color: var(--vscode-input-foreground); background: var(--vscode-input-background);
  border: 1px solid var(--vscode-input-border, var(--vscode-panel-border, transparent)); border-radius: 2px; padding: 2px 6px;
}
select { color: var(--vscode-dropdown-foreground); background: var(--vscode-dropdown-background); border-color: var(--vscode-dropdown-border, transparent); }
input:focus, select:focus, .vscroll:focus, [role=button]:focus { outline: 1px solid var(--vscode-focusBorder); outline-offset: -1px; }
label { color: var(--vscode-descriptionForeground); }

.vtable { display: flex; flex-direction: column; min-height: 0; flex: 1; border: 1px solid var(--vscode-panel-border, var(--vscode-widget-border, transparent)); border-radius: 3px; }
.vhead, .vrow { display: grid; grid-template-columns: var(--cols); align-items: center; column-gap: 10px; padding: 0 8px; }
.vhead {
  flex: none; height: ${ROW_HEIGHT + 2}px; font-weight: 600; color: var(--vscode-foreground);
  background: var(--vscode-sideBarSectionHeader-background, var(--vscode-editorGroupHeader-tabsBackground));
  border-bottom: 1px solid var(--vscode-panel-border, transparent);
}
.vscroll { flex: 1; min-height: 0; overflow: auto; position: relative; }
.vspacer { position: relative; width: 100%; }
.vrow { position: absolute; left: 0; right: 0; top: 0; height: ${ROW_HEIGHT}px; white-space: nowrap; border-left: 3px solid transparent; }
.vrow:hover { background: var(--vscode-list-hoverBackground); }
.vrow.is-changed { background: var(--vscode-diffEditor-insertedTextBackground, rgba(155, 185, 85, 0.2)); border-left-color: var(--vscode-gitDecoration-addedResourceForeground, var(--vscode-charts-green)); }
.vrow.is-selected { background: var(--vscode-list-inactiveSelectionBackground); color: var(--vscode-list-inactiveSelectionForeground, inherit); border-left-color: var(--vscode-focusBorder); }
.vrow.is-fault { background: var(--vscode-inputValidation-errorBackground, rgba(190, 17, 0, 0.25)); border-left-color: var(--vscode-errorForeground); font-weight: 600; }
.vrow.is-stale { background: var(--vscode-inputValidation-warningBackground, rgba(204, 167, 0, 0.2)); border-left-color: var(--vscode-charts-yellow); }
.vrow.is-stale .stale { color: var(--vscode-editorWarning-foreground, var(--vscode-charts-yellow)); font-weight: 600; }
.vrow.is-current { background: var(--vscode-editor-stackFrameHighlightBackground, var(--vscode-list-inactiveSelectionBackground)); border-left-color: var(--vscode-debugIcon-pauseForeground, var(--vscode-charts-yellow)); }
.vrow.has-source { cursor: pointer; }
.cell { overflow: hidden; text-overflow: ellipsis; }
.cell.num { text-align: right; font-variant-numeric: tabular-nums; }
.cell.addr[role=button] { color: var(--vscode-textLink-foreground); cursor: pointer; }
.cell.addr[role=button]:hover { text-decoration: underline; }
.cell.dim, .dim { color: var(--vscode-descriptionForeground); }
.empty { padding: 8px; color: var(--vscode-descriptionForeground); }

.flag { display: inline-block; width: 2ch; }
.flag.off { color: var(--vscode-disabledForeground, var(--vscode-descriptionForeground)); opacity: 0.6; }
.kind { display: inline-block; padding: 0 6px; border-radius: 8px; border: 1px solid currentColor; line-height: 16px; font-family: var(--vscode-font-family, sans-serif); font-size: 0.9em; }
.kind-trap { color: var(--vscode-charts-orange); }
.kind-paging { color: var(--vscode-charts-blue); }
.kind-reflect { color: var(--vscode-charts-purple); }
.kind-assist { color: var(--vscode-charts-green); }
.kind-divergence { color: var(--vscode-charts-red); }
.kind-other { color: var(--vscode-descriptionForeground); }
.vhead .cell { white-space: nowrap; }
.bar { max-width: 100%; display: inline-block; height: 6px; border-radius: 3px; background: var(--vscode-charts-blue); vertical-align: middle; }
.bar.cost { background: var(--vscode-charts-orange); }

.tables { flex: 1; min-height: 0; display: grid; grid-template-columns: repeat(auto-fit, minmax(270px, 1fr)); grid-auto-rows: minmax(200px, 1fr); gap: 10px; overflow: auto; }
.table-pane { display: flex; flex-direction: column; min-height: 0; gap: 4px; }
.pane-title { display: flex; align-items: baseline; gap: 8px; min-height: 22px; white-space: nowrap; overflow: hidden; }
.pane-title .dim { font-size: 0.9em; overflow: hidden; text-overflow: ellipsis; }
.walk { flex: none; min-height: 64px; border-top: 1px solid var(--vscode-panel-border, transparent); padding-top: 6px; }
.walk ol { margin: 4px 0 0; padding-left: 20px; }
.walk li.ok::marker { color: var(--vscode-testing-iconPassed, var(--vscode-charts-green)); }
.walk li.fail { color: var(--vscode-errorForeground); }
.legend { display: flex; gap: 14px; color: var(--vscode-descriptionForeground); font-size: 0.9em; }
.swatch { display: inline-block; width: 10px; height: 10px; margin-right: 4px; vertical-align: -1px; border-radius: 2px; }
.swatch.fault { background: var(--vscode-inputValidation-errorBackground, rgba(190, 17, 0, 0.25)); border: 1px solid var(--vscode-errorForeground); }
.swatch.changed { background: var(--vscode-diffEditor-insertedTextBackground, rgba(155, 185, 85, 0.2)); border: 1px solid var(--vscode-gitDecoration-addedResourceForeground, var(--vscode-charts-green)); }
.swatch.stale { background: var(--vscode-inputValidation-warningBackground, rgba(204, 167, 0, 0.2)); border: 1px solid var(--vscode-charts-yellow); }
.swatch.selected { background: var(--vscode-list-inactiveSelectionBackground); border: 1px solid var(--vscode-focusBorder); }

table.plain { border-collapse: collapse; width: 100%; }
table.plain th, table.plain td { padding: 3px 10px; border-bottom: 1px solid var(--vscode-panel-border, var(--vscode-widget-border, transparent)); text-align: left; }
table.plain th { font-weight: 600; background: var(--vscode-sideBarSectionHeader-background, transparent); }
table.plain td.num, table.plain th.num { text-align: right; font-variant-numeric: tabular-nums; font-family: var(--vscode-editor-font-family, monospace); }
table.plain tr.total td { font-weight: 600; }
table.plain td.current { background: var(--vscode-list-inactiveSelectionBackground); }
table.plain th.num { vertical-align: bottom; }
.scroll-y { overflow: auto; min-height: 0; flex: 1; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; }
.card { border: 1px solid var(--vscode-panel-border, var(--vscode-widget-border, transparent)); border-radius: 4px; padding: 6px 12px; min-width: 160px; }
.card .big { font-size: 1.5em; font-weight: 600; font-variant-numeric: tabular-nums; }
.card .mid { font-size: 1.1em; font-weight: 600; margin: 2px 0; }
input[type=search] { width: 280px; }
.split { flex: 1; min-height: 0; display: grid; grid-template-columns: minmax(280px, 1fr) minmax(260px, 1fr); gap: 10px; }
.detail { overflow: auto; border: 1px solid var(--vscode-panel-border, var(--vscode-widget-border, transparent)); border-radius: 3px; padding: 6px 10px; }
pre { margin: 4px 0 10px; white-space: pre-wrap; background: var(--vscode-textCodeBlock-background, transparent); padding: 4px 6px; border-radius: 3px; }
`;
