// `hyperstep-dap --server=PORT`: the adapter listens on a TCP port of this
// machine and runs one session per connection, as mock-debug's server mode.
// A launch configuration with `"debugServer": PORT` makes VS Code (in an
// Extension Development Host) connect there instead of starting the adapter,
// so the adapter itself can run under a debugger (.vscode/launch.json,
// "Adapter server").

import * as net from 'net';
import { nodeFileReader } from './nodeFileReader';
import { HyperstepSession } from './session';

/** The PORT of `--server=PORT` (0: any free port); undefined without the option; a message when PORT is not a port. */
export function serverPortOf(argv: string[]): number | undefined | { error: string } {
  const option = argv.find((arg) => arg.startsWith('--server='));
  if (option === undefined) return undefined;
  const text = option.slice('--server='.length);
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) return { error: `expected --server=PORT with PORT from 0 to 65535, found "${text}"` };
  return port;
}

/** Listens on 127.0.0.1 only: the adapter reads any file a client names, so it is not offered to the network. */
export function serveSessions(port: number, onListening: (port: number) => void): net.Server {
  const server = net.createServer((socket) => {
    const session = new HyperstepSession(nodeFileReader);
    session.setRunAsServer(true);
    // A client that vanishes mid-message resets the socket; its session ends with it, the server goes on.
    socket.on('error', () => socket.destroy());
    session.start(socket, socket);
  });
  server.listen(port, '127.0.0.1', () => onListening((server.address() as net.AddressInfo).port));
  return server;
}
