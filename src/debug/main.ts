// `hyperstep-dap`: the debug adapter on stdio, for editors other than VS Code
// and for the adapter tests; with `--server=PORT`, on a TCP port (server.ts).
// The extension runs the same HyperstepSession inline
// (DebugAdapterInlineImplementation) with its own file reader.

import { nodeFileReader } from './nodeFileReader';
import { serveSessions, serverPortOf } from './server';
import { HyperstepSession } from './session';

export { HyperstepSession };

/** An exit status when the arguments are wrong; otherwise the adapter runs until its streams close. */
export function main(argv: string[] = []): number | void {
  const port = serverPortOf(argv);
  if (typeof port === 'object') {
    process.stderr.write(`hyperstep-dap: ${port.error}\n`);
    return 2;
  }
  if (port !== undefined) {
    serveSessions(port, (actual) => process.stdout.write(`hyperstep-dap: listening on 127.0.0.1:${actual}\n`));
    return;
  }
  const session = new HyperstepSession(nodeFileReader);
  session.setRunAsServer(false);
  process.on('SIGTERM', () => session.shutdown());
  session.start(process.stdin, process.stdout);
}

if (require.main === module) {
  const status = main(process.argv.slice(2));
  if (typeof status === 'number') process.exitCode = status;
}
