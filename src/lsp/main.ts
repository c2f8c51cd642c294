// Entry point of `hyperstep-lsp`, the stand-alone G32 language server. It
// picks the transport from the arguments (`--stdio` for any editor,
// `--node-ipc` for the VS Code client) and starts the server; nothing runs at
// import time, so the bundle and the tests can load it freely. Started as a
// worker thread by the server, it runs the assemblies behind diagnostics.

import { ConnectionStrategy, IPCMessageReader, IPCMessageWriter, LSPErrorCodes, StreamMessageReader, StreamMessageWriter, createConnection } from 'vscode-languageserver/node';
import { isMainThread, workerData } from 'worker_threads';
import { nodeSourceFiles } from './nodeSourceFiles';
import { loadReferenceDocs } from './referenceDocs';
import { DIAGNOSIS_WORKER, WorkerDiagnosis, serveDiagnosis } from './workerDiagnosis';
import { ServerOptions, startServer } from './server';

/** A request the client cancelled before it was handled is answered "cancelled" at once, not worked on. */
export const CANCEL_QUEUED_REQUESTS: ConnectionStrategy = {
  cancelUndispatched: (message) => ({
    jsonrpc: '2.0',
    id: (message as { id?: number | string }).id ?? null,
    error: { code: LSPErrorCodes.RequestCancelled, message: 'cancelled before it was handled' },
  }),
};

/** The server run by Node: files from the disk, diagnoses in a worker thread, the reference beside the server. */
function nodeServerOptions(): ServerOptions {
  return { files: nodeSourceFiles, diagnosis: new WorkerDiagnosis(__filename), reference: loadReferenceDocs(), memoryUsage: () => process.memoryUsage() };
}

export const USAGE = `usage: hyperstep-lsp --stdio | --node-ipc

Runs the G32 language server (diagnostics, hover, completion, definition,
references, document symbols and rename for .g32 files).
  --stdio      speak LSP on stdin/stdout
  --node-ipc   speak LSP over the Node IPC channel (as started by VS Code)
`;

/** Exit status for bad command-line usage, as for the other hyperstep commands. */
const EXIT_USAGE = 64;

export function main(argv: string[]): void {
  if (argv.includes('--stdio')) {
    const connection = createConnection(new StreamMessageReader(process.stdin), new StreamMessageWriter(process.stdout), CANCEL_QUEUED_REQUESTS);
    startServer(connection, nodeServerOptions());
    return;
  }
  if (argv.includes('--node-ipc')) {
    if (!process.send) {
      process.stderr.write('hyperstep-lsp: --node-ipc needs a parent process with an IPC channel\n');
      process.exitCode = EXIT_USAGE;
      return;
    }
    const connection = createConnection(new IPCMessageReader(process), new IPCMessageWriter(process), CANCEL_QUEUED_REQUESTS);
    startServer(connection, nodeServerOptions());
    return;
  }
  const isHelp = argv.includes('--help') || argv.includes('-h');
  (isHelp ? process.stdout : process.stderr).write(USAGE);
  process.exitCode = isHelp ? 0 : EXIT_USAGE;
}

// This script is also the diagnosis worker's (the bundle is one file).
if (require.main === module) {
  if (isMainThread) main(process.argv.slice(2));
  else if (workerData === DIAGNOSIS_WORKER) serveDiagnosis();
}
