// A panel asks to open a source line (a timeline row was clicked). The webview
// is not trusted to name files: only a file and line that the adapter's own
// snapshot showed (from the program's line map) are opened, and the line must
// be a whole number from 1, so a forged message opens nothing.

import type { PanelSnapshot } from '../../protocol/panelMessages';

/** The 0-based line to reveal in `path`, or undefined when the request is refused. */
export function revealableLine(snapshot: PanelSnapshot | undefined, path: unknown, line: unknown): number | undefined {
  if (!snapshot || typeof path !== 'string' || typeof line !== 'number' || !Number.isInteger(line) || line < 1) return undefined;
  const isKnown = snapshot.timeline.some((entry) => entry.source !== undefined && entry.source.path === path && entry.source.line === line);
  return isKnown ? line - 1 : undefined;
}
