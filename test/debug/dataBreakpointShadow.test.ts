// Data breakpoints on a loop whose loads and stores go through the CPU's cached
// data-page translation (under a shadow, and with nested paging): the debugger
// watches accesses itself, so they fire exactly as on bare hardware.

import * as assert from 'assert';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { fixture, launchAndStop, register, resumeAndStop, topFrame, withAdapterClient } from './helpers';

const MEMLOOP = { LOAD: 5, STORE: 7 };

describe('debug adapter: data breakpoints on a memory-heavy loop', function () {
  this.timeout(20000);
  let client: DebugClient;

  withAdapterClient((started) => {
    client = started;
  });

  const settings: Array<Record<string, string>> = [{ virtualization: 'none' }, { virtualization: 'trap-and-emulate' }, { virtualization: 'hardware-assist', paging: 'nested' }];
  for (const setting of settings) {
    it(`the second write to a buffer slot stops after the store, and a read then after the load (${Object.values(setting).join(' / ')})`, async () => {
      await launchAndStop(client, { program: fixture('memloop.g32'), ...setting });
      const info = await client.dataBreakpointInfoRequest({ name: 'buffer + 40' });
      // Slot 10 is written when r1 is 10 and again when r1 is 26 (16 slots): long after the page was cached.
      await client.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId!, accessType: 'write', hitCondition: '2' }] });
      const written = await resumeAndStop(client, () => client.continueRequest({ threadId: 1 }));
      assert.strictEqual(written.body.reason, 'data breakpoint');
      assert.match(written.body.description!, /write to 0x00004028/);
      assert.strictEqual((await topFrame(client)).line, MEMLOOP.STORE + 1);
      assert.strictEqual(await register(client, 'r1'), 26);
      await client.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.body.dataId!, accessType: 'read' }] });
      const read = await resumeAndStop(client, () => client.continueRequest({ threadId: 1 }));
      assert.strictEqual(read.body.reason, 'data breakpoint');
      assert.match(read.body.description!, /read of 0x00004028/);
      assert.strictEqual((await topFrame(client)).line, MEMLOOP.LOAD + 1);
      assert.strictEqual(await register(client, 'r1'), 42);
    });
  }
});
