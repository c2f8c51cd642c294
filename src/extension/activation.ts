// The wiring both entry points share (`extension.ts` for desktop VS Code,
// `browser.ts` for VS Code for the Web): the inline debug adapter, launch
// configurations, the panels and their commands, keyboard input and the G32
// language client. What differs between the two hosts (how files are read,
// how the language server is started) comes in as a `HostServices`.

import * as vscode from 'vscode';
import type { BaseLanguageClient } from 'vscode-languageclient';
import { PANELS, PanelKind } from '../protocol/panels';
import { DynamicConfigurationProvider, HyperstepConfigurationProvider, ProgramLocator } from './configProvider';
import { sendInput } from './input';
import { PanelManager } from './panels/panelManager';
import { REVERSE_COMMANDS } from './reverseCommands';
import { registerWalkthroughProgress } from './walkthroughProgress';

export const PANEL_COMMANDS: Record<string, PanelKind> = Object.fromEntries(PANELS.map((panel) => [panel.command, panel.kind]));

/** What activate returns, for the extension tests. */
export interface HyperstepApi {
  panels: PanelManager;
  languageClient: BaseLanguageClient | undefined;
}

export interface HostServices {
  adapterFactory: vscode.DebugAdapterDescriptorFactory;
  locator: ProgramLocator;
  /** The document behind a source path the adapter reports. */
  sourceUri(path: string): vscode.Uri;
  startLanguageClient(context: vscode.ExtensionContext): BaseLanguageClient;
}

export function activateHyperstep(context: vscode.ExtensionContext, host: HostServices): HyperstepApi {
  const panels = new PanelManager(context.extensionUri, host.sourceUri);
  context.subscriptions.push(
    panels,
    vscode.debug.registerDebugAdapterDescriptorFactory('hyperstep', host.adapterFactory),
    vscode.debug.registerDebugConfigurationProvider('hyperstep', new HyperstepConfigurationProvider(host.locator)),
    vscode.debug.registerDebugConfigurationProvider('hyperstep', new DynamicConfigurationProvider(host.locator), vscode.DebugConfigurationProviderTriggerKind.Dynamic),
    vscode.commands.registerCommand('hyperstep.sendInput', (text?: string) => sendInput(text)),
    ...Object.entries(REVERSE_COMMANDS).map(([command, vscodeCommand]) => vscode.commands.registerCommand(command, () => vscode.commands.executeCommand(vscodeCommand))),
    ...Object.entries(PANEL_COMMANDS).map(([command, kind]) =>
      vscode.commands.registerCommand(command, () => {
        panels.open(kind);
        panels.refresh();
      }),
    ),
  );
  registerWalkthroughProgress(context, host.locator);
  const languageClient = host.startLanguageClient(context);
  context.subscriptions.push({ dispose: () => void languageClient.stop() });
  return { panels, languageClient };
}
