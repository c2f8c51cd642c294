// The web entry point (`browser` in the manifest), for VS Code for the Web:
// the shared wiring of activation.ts, with guest sources read through
// `vscode.workspace.fs` (so virtual workspaces work) and the language server
// running in a web worker. `extension.ts` is the desktop twin.

import * as vscode from 'vscode';
import { LanguageClient, LanguageClientOptions } from 'vscode-languageclient/browser';
import { activateHyperstep, HyperstepApi } from './activation';
import type { ProgramLocator } from './configProvider';
import { WebDebugAdapterFactory } from './webAdapterFactory';
import { syncWorkspaceFiles } from './workspaceFilesSync';

export type { HyperstepApi } from './activation';

/** Any workspace document can be launched: its path within the workspace is what the adapter reads through workspace.fs. */
const WORKSPACE_LOCATOR: ProgramLocator = {
  canLaunch: (uri) => uri.scheme !== 'untitled',
  programPath: (uri) => uri.path,
  // A worker cannot read a file synchronously; the adapter reads closed files through workspace.fs itself.
  readClosedFile: () => undefined,
};

let client: LanguageClient | undefined;

export function activate(context: vscode.ExtensionContext): HyperstepApi {
  return activateHyperstep(context, {
    adapterFactory: new WebDebugAdapterFactory(),
    locator: WORKSPACE_LOCATOR,
    sourceUri: (path) => (vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.parse('vscode-vfs:/')).with({ path }),
    startLanguageClient: () => {
      const worker = new Worker(vscode.Uri.joinPath(context.extensionUri, 'dist/web/lsp.js').toString(true));
      const clientOptions: LanguageClientOptions = { documentSelector: [{ language: 'g32' }] };
      client = new LanguageClient('hyperstep', 'hyperstep language server', worker, clientOptions);
      context.subscriptions.push(syncWorkspaceFiles(client));
      return client;
    },
  });
}

export function deactivate(): Thenable<void> | undefined {
  return client?.stop();
}
