// `hyperstep-dap`: the debug adapter on stdio, for editors other than VS Code
// and for the adapter tests. The extension runs the same HyperstepSession
// inline (DebugAdapterInlineImplementation) with its own file reader.

import { nodeFileReader } from './nodeFileReader';
import { HyperstepSession } from './session';

export { HyperstepSession };

export function main(_argv: string[] = []): void {
  const session = new HyperstepSession(nodeFileReader);
  session.setRunAsServer(false);
  process.on('SIGTERM', () => session.shutdown());
  session.start(process.stdin, process.stdout);
}

if (require.main === module) main(process.argv.slice(2));
