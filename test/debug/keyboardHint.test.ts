// A guest that reads an empty keyboard, with no input configured or typed:
// the debug console says so once, and how to type.

import * as assert from 'assert';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { DebugProtocol } from '@vscode/debugprotocol';
import { fixture, launchAndRun, withAdapterClient, resumeAndStop } from './helpers';

const HINT = /reads the keyboard \(port 0x64\), which is empty: no input was configured \("input" in launch\.json\) or typed\. Type `input TEXT` \(or `> TEXT`\) in the debug console to press keys\./;

describe('keyboard hint', function () {
  this.timeout(30000);
  let client: DebugClient;
  withAdapterClient((started) => {
    client = started;
  });

  for (const virtualization of ['none', 'trap-and-emulate']) {
    it(`says once that the keyboard is empty and how to type, under ${virtualization}`, async () => {
      let console = '';
      client.on('output', (event: DebugProtocol.OutputEvent) => {
        if (event.body.category === 'console') console += event.body.output;
      });
      await launchAndRun(client, { program: fixture('poll.g32'), virtualization });
      // The guest polls forever: pause it after the hint, then type a key.
      while (!HINT.test(console)) await new Promise((resolve) => setTimeout(resolve, 20));
      await resumeAndStop(client, () => client.pauseRequest({ threadId: 1 }));
      await client.evaluateRequest({ expression: 'input k', context: 'repl' });
      const exited = client.waitForEvent('exited');
      await client.continueRequest({ threadId: 1 });
      assert.strictEqual((await exited).body.exitCode, 0);
      assert.strictEqual(console.split('\n').filter((line) => HINT.test(line)).length, 1, console);
    });
  }

  it('says nothing when input is configured', async () => {
    let console = '';
    client.on('output', (event: DebugProtocol.OutputEvent) => {
      if (event.body.category === 'console') console += event.body.output;
    });
    const exited = client.waitForEvent('exited');
    await launchAndRun(client, { program: fixture('poll.g32'), virtualization: 'none', input: [{ tick: 500, text: 'k' }] });
    await exited;
    assert.doesNotMatch(console, /reads the keyboard/);
  });
});
