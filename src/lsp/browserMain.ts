// The language server in VS Code for the Web: the same server as
// `hyperstep-lsp`, in a web worker, speaking LSP over the worker's messages.
// A worker has no file system: the client sends the workspace's `.g32` files
// (read through `vscode.workspace.fs`) so that includes and includers resolve.

import { BrowserMessageReader, BrowserMessageWriter, createConnection } from 'vscode-languageserver/browser';
import { PushedSourceFiles } from './pushedSourceFiles';
import { startServer } from './server';
import { WORKSPACE_FILES_NOTIFICATION, WorkspaceFilesParams } from './sourceFiles';

// The worker's own scope posts and receives the client's messages.
const connection = createConnection(new BrowserMessageReader(self), new BrowserMessageWriter(self));
const files = new PushedSourceFiles();
const server = startServer(connection, { files });
connection.onNotification(WORKSPACE_FILES_NOTIFICATION, (params: WorkspaceFilesParams) => {
  files.receive(params);
  server.filesChanged();
});
