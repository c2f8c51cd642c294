// The desktop entry point (`main` in the manifest): the shared wiring of
// activation.ts, with files read from the disk and the language server run by
// Node over IPC (as lsp-sample's client). `browser.ts` is the web twin.

import * as vscode from 'vscode';
import { LanguageClient, LanguageClientOptions, ServerOptions, TransportKind } from 'vscode-languageclient/node';
import { activateHyperstep, HyperstepApi } from './activation';
import { InlineDebugAdapterFactory } from './adapterFactory';
import { DESKTOP_LOCATOR } from './desktopLocator';

export type { HyperstepApi } from './activation';

let client: LanguageClient | undefined;

export function activate(context: vscode.ExtensionContext): HyperstepApi {
  return activateHyperstep(context, {
    adapterFactory: new InlineDebugAdapterFactory(),
    locator: DESKTOP_LOCATOR,
    sourceUri: (path) => vscode.Uri.file(path),
    startLanguageClient: () => {
      // The language server is the bundled dist/lsp.js, run by Node over IPC.
      const module = context.asAbsolutePath('dist/lsp.js');
      const serverOptions: ServerOptions = {
        run: { module, transport: TransportKind.ipc },
        debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6009'] } },
      };
      const clientOptions: LanguageClientOptions = {
        documentSelector: [
          { scheme: 'file', language: 'g32' },
          { scheme: 'untitled', language: 'g32' },
        ],
      };
      // The id 'hyperstep' makes the client honour the `hyperstep.trace.server` setting.
      client = new LanguageClient('hyperstep', 'hyperstep language server', serverOptions, clientOptions);
      void client.start();
      return client;
    },
  });
}

export function deactivate(): Thenable<void> | undefined {
  return client?.stop();
}
