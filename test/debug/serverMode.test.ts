// `hyperstep-dap --server=PORT` (the "Adapter server" launch configuration):
// the bundled adapter listens on a port and each connection is a session of
// its own. Needs the bundle: `node scripts/bundle.mjs` (npm test builds it).

import * as assert from 'assert';
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as path from 'path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { fixture, ROOT, STEPS } from './helpers';

const BUNDLED_ADAPTER = path.join(ROOT, 'dist', 'dap.js');

/** Starts the adapter in server mode on a free port and resolves with the port it reports. */
function startServer(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [BUNDLED_ADAPTER, '--server=0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on 127\.0\.0\.1:(\d+)/.exec(output);
      if (match) resolve({ child, port: Number(match[1]) });
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('exit', (code) => reject(new Error(`adapter exited (${code}) before listening: ${output}`)));
  });
}

describe('debug adapter: server mode (--server=PORT)', () => {
  let server: { child: ChildProcess; port: number };
  const clients: DebugClient[] = [];

  beforeEach(async () => {
    server = await startServer();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.stop()));
    server.child.kill();
  });

  async function connect(): Promise<DebugClient> {
    const client = new DebugClient('node', BUNDLED_ADAPTER, 'hyperstep');
    client.defaultTimeout = 15000;
    clients.push(client);
    await client.start(server.port);
    return client;
  }

  /** Initializes, launches the steps fixture and waits for its stop on entry; resolves with the initialize response. */
  async function launchToEntry(client: DebugClient) {
    const initialize = await client.initializeRequest();
    await Promise.all([
      client.waitForEvent('initialized').then(() => client.configurationDoneRequest()),
      client.launchRequest({ program: fixture('steps.g32'), stopOnEntry: true } as never),
      client.assertStoppedLocation('entry', { path: fixture('steps.g32'), line: STEPS.START }),
    ]);
    return initialize;
  }

  it('answers initialize over a TCP connection and debugs a program to its entry', async () => {
    const initialize = await launchToEntry(await connect());
    assert.strictEqual(initialize.success, true);
    assert.strictEqual(initialize.body?.supportsStepBack, true);
  });

  it('gives each connection a session of its own', async () => {
    const first = await connect();
    await launchToEntry(first);
    // A second client of the same server starts from scratch: no guest threads until it launches.
    const second = await connect();
    assert.strictEqual((await second.initializeRequest()).success, true);
    assert.deepStrictEqual((await second.threadsRequest()).body.threads, []);
    assert.strictEqual((await first.threadsRequest()).body.threads.length, 1);
  });

  it('refuses a --server value that is not a port, with a message and exit status 2', () => {
    const result = spawnSync(process.execPath, [BUNDLED_ADAPTER, '--server=http'], { encoding: 'utf8' });
    assert.strictEqual(result.status, 2);
    assert.match(result.stderr, /expected --server=PORT with PORT from 0 to 65535, found "http"/);
  });
});
