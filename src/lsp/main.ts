// Entry point of `hyperstep-lsp`, the stand-alone G32 language server. It
// picks the transport from the arguments (`--stdio` for any editor,
// `--node-ipc` for the VS Code client) and starts the server; nothing runs at
// import time, so the bundle and the tests can load it freely.

import { IPCMessageReader, IPCMessageWriter, StreamMessageReader, StreamMessageWriter, createConnection } from 'vscode-languageserver/node';
import { startServer } from './server';

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
    const connection = createConnection(new StreamMessageReader(process.stdin), new StreamMessageWriter(process.stdout));
    startServer(connection);
    return;
  }
  if (argv.includes('--node-ipc')) {
    if (!process.send) {
      process.stderr.write('hyperstep-lsp: --node-ipc needs a parent process with an IPC channel\n');
      process.exitCode = EXIT_USAGE;
      return;
    }
    const connection = createConnection(new IPCMessageReader(process), new IPCMessageWriter(process));
    startServer(connection);
    return;
  }
  const isHelp = argv.includes('--help') || argv.includes('-h');
  (isHelp ? process.stdout : process.stderr).write(USAGE);
  process.exitCode = isHelp ? 0 : EXIT_USAGE;
}

if (require.main === module) main(process.argv.slice(2));
