// Keeps the web language server's copy of the workspace's `.g32` files
// current: the server runs in a web worker with no file system, so the client
// reads them through `vscode.workspace.fs` and sends them
// (WORKSPACE_FILES_NOTIFICATION): all at start and after a delete, one at a
// time as they change.

import * as vscode from 'vscode';
import type { BaseLanguageClient } from 'vscode-languageclient';
import { WORKSPACE_FILES_NOTIFICATION, WorkspaceFilesParams } from '../lsp/sourceFiles';
import { readWorkspaceFile } from './workspaceSources';

/** A workspace with more sources than this is only partly visible to includes (open files always are). */
const MAX_FILES = 2000;

async function readSource(uri: vscode.Uri): Promise<{ path: string; text: string } | undefined> {
  const read = await readWorkspaceFile(uri);
  return 'text' in read ? { path: uri.path, text: read.text } : undefined;
}

export function syncWorkspaceFiles(client: BaseLanguageClient): vscode.Disposable {
  const send = (params: WorkspaceFilesParams): void => {
    void client.sendNotification(WORKSPACE_FILES_NOTIFICATION, params);
  };
  const sendAll = async (): Promise<void> => {
    const uris = await vscode.workspace.findFiles('**/*.g32', undefined, MAX_FILES);
    const files = (await Promise.all(uris.map(readSource))).filter((file): file is { path: string; text: string } => file !== undefined);
    send({ files, isComplete: true });
  };
  const sendOne = async (uri: vscode.Uri): Promise<void> => {
    const file = await readSource(uri);
    if (file) send({ files: [file], isComplete: false });
  };
  const watcher = vscode.workspace.createFileSystemWatcher('**/*.g32');
  watcher.onDidCreate(sendOne);
  watcher.onDidChange(sendOne);
  watcher.onDidDelete(() => void sendAll());
  void client.start().then(sendAll, () => undefined);
  return watcher;
}
