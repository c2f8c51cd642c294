// hyperstep/snapshot under binary translation: the translation cache panel's
// data, with each block's guest instructions and the JavaScript it became.

import * as assert from 'assert';
import * as path from 'path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { PanelSnapshot } from '../../src/protocol/panelMessages';
import { EXAMPLES, launchAndStop, withAdapterClient, resumeAndStop } from './helpers';

/** examples/os/user1.g32: the `syscall` of its first write. */
const USER1_FIRST_SYSCALL = 26;

describe('hyperstep/snapshot (binary translation)', () => {
  let client: DebugClient;
  withAdapterClient((started) => { client = started; });

  it('lists translated blocks with guest instructions and generated code; absent on other settings', async () => {
    const program = path.join(EXAMPLES, 'os', 'kernel.g32');
    await launchAndStop(client, { program, virtualization: 'binary-translation', input: 'k' }, () =>
      client.setBreakpointsRequest({ source: { path: path.join(EXAMPLES, 'os', 'user1.g32') }, breakpoints: [{ line: USER1_FIRST_SYSCALL }] }));
    // Continue to user1's first system call: the kernel's boot code ran translated on the way.
    const stop = await resumeAndStop(client, () => client.continueRequest({ threadId: 1 }));
    assert.strictEqual(stop.body.reason, 'breakpoint');
    const snapshot = (await client.customRequest('hyperstep/snapshot', {})).body as PanelSnapshot;
    const cache = snapshot.translationCache!;
    assert.ok(cache, 'a translation cache under binary translation');
    assert.ok(cache.blocks.length > 3, `blocks ${cache.blocks.length}`);
    const block = cache.blocks[0];
    assert.match(block.guestInstructions[0], /^0x[0-9a-f]{8} {2}\S/);
    assert.match(block.generatedCode, /let f = cpu\.flags;/);
    assert.ok(block.executions >= 1);
    assert.ok(cache.blocks.some((b) => b.guestInstructions.some((text) => /mov cr3|mov evt|out 0x40/.test(text))), 'privileged instructions appear in translated blocks');
  });

  it('has no translation cache under trap-and-emulate', async () => {
    await launchAndStop(client, { program: path.join(EXAMPLES, 'hello.g32'), virtualization: 'trap-and-emulate' });
    const snapshot = (await client.customRequest('hyperstep/snapshot', {})).body as PanelSnapshot;
    assert.strictEqual(snapshot.translationCache, undefined);
  });
});
