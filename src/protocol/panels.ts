// The panels, listed once: the extension registers a command for each and
// opens it under its title, the manifest generator contributes the commands
// and the `firstStopPanels` setting, and the webview bundler builds
// src/webview/<kind>.ts for each. Adding a panel starts with a row here.

export const PANELS = [
  { kind: 'pageTables', title: 'Page Tables', command: 'hyperstep.openPageTables' },
  { kind: 'tlb', title: 'TLB', command: 'hyperstep.openTlb' },
  { kind: 'timeline', title: 'Trap Timeline', command: 'hyperstep.openTimeline' },
  { kind: 'costs', title: 'Cost Counters', command: 'hyperstep.openCosts' },
  { kind: 'translationCache', title: 'Translation Cache', command: 'hyperstep.openTranslationCache' },
] as const;

export type PanelKind = (typeof PANELS)[number]['kind'];

export const PANEL_KINDS: readonly PanelKind[] = PANELS.map((panel) => panel.kind);

export const PANEL_TITLES = Object.fromEntries(PANELS.map((panel) => [panel.kind, panel.title])) as Record<PanelKind, string>;
