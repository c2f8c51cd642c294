// The extension's entry point, kept to the wiring (as lsp-sample's client):
// the inline debug adapter, launch configurations, the panels and their
// commands, keyboard input, and the G32 language client. Everything with
// logic lives in adapterFactory.ts, configProvider.ts, input.ts and panels/.

import * as vscode from 'vscode';
import { LanguageClient, LanguageClientOptions, ServerOptions, TransportKind } from 'vscode-languageclient/node';
import type { PanelKind } from '../protocol/panelMessages';
import { InlineDebugAdapterFactory } from './adapterFactory';
import { DynamicConfigurationProvider, HyperstepConfigurationProvider } from './configProvider';
import { sendInput } from './input';
import { REVERSE_COMMANDS } from './reverseCommands';
import { PanelManager } from './panels/panelManager';
import { registerWalkthroughProgress } from './walkthroughProgress';

let client: LanguageClient | undefined;

const PANEL_COMMANDS: Record<string, PanelKind> = {
  'hyperstep.openPageTables': 'pageTables',
  'hyperstep.openTlb': 'tlb',
  'hyperstep.openTimeline': 'timeline',
  'hyperstep.openCosts': 'costs',
  'hyperstep.openTranslationCache': 'translationCache',
};

/** What activate returns, for the extension tests. */
export interface HyperstepApi {
  panels: PanelManager;
  languageClient: LanguageClient | undefined;
}

export function activate(context: vscode.ExtensionContext): HyperstepApi {
  const panels = new PanelManager(context.extensionUri);
  context.subscriptions.push(
    panels,
    vscode.debug.registerDebugAdapterDescriptorFactory('hyperstep', new InlineDebugAdapterFactory()),
    vscode.debug.registerDebugConfigurationProvider('hyperstep', new HyperstepConfigurationProvider()),
    vscode.debug.registerDebugConfigurationProvider('hyperstep', new DynamicConfigurationProvider(), vscode.DebugConfigurationProviderTriggerKind.Dynamic),
    vscode.commands.registerCommand('hyperstep.sendInput', (text?: string) => sendInput(text)),
    ...Object.entries(REVERSE_COMMANDS).map(([command, vscodeCommand]) => vscode.commands.registerCommand(command, () => vscode.commands.executeCommand(vscodeCommand))),
    ...Object.entries(PANEL_COMMANDS).map(([command, kind]) => vscode.commands.registerCommand(command, () => { panels.open(kind); panels.refresh(); })),
  );
  registerWalkthroughProgress(context);

  // The language server is the bundled dist/lsp.js, run by Node over IPC.
  const module = context.asAbsolutePath('dist/lsp.js');
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6009'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: 'file', language: 'g32' }, { scheme: 'untitled', language: 'g32' }],
  };
  // The id 'hyperstep' makes the client honour the `hyperstep.trace.server` setting.
  client = new LanguageClient('hyperstep', 'hyperstep language server', serverOptions, clientOptions);
  void client.start();
  return { panels, languageClient: client };
}

export function deactivate(): Thenable<void> | undefined {
  return client?.stop();
}
