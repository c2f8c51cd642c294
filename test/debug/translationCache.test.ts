// hyperstep/snapshot under binary translation: the translation cache panel's
// data, with each block's guest instructions and the JavaScript it became,
// which blocks are still interpreted and which were retranslated, and why.

import * as assert from 'assert';
import * as path from 'path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { PanelSnapshot } from '../../src/protocol/panelMessages';
import { EXAMPLES, launchAndStop, withAdapterClient, resumeAndStop } from './helpers';

/** examples/os/user1.g32: the `syscall` of its first write. */
const USER1_FIRST_SYSCALL = 26;

describe('hyperstep/snapshot (binary translation)', () => {
  let client: DebugClient;
  withAdapterClient((started) => {
    client = started;
  });

  it('lists cached blocks with guest instructions and generated code, interpreted or translated, and retranslated blocks with the reason', async () => {
    const program = path.join(EXAMPLES, 'os', 'kernel.g32');
    await launchAndStop(client, { program, virtualization: 'binary-translation', input: 'k', translationThreshold: 4 }, () =>
      client.setBreakpointsRequest({ source: { path: path.join(EXAMPLES, 'os', 'user1.g32') }, breakpoints: [{ line: USER1_FIRST_SYSCALL }] }),
    );
    // Continue to user1's first system call: the kernel's boot code ran on the way.
    const stop = await resumeAndStop(client, () => client.continueRequest({ threadId: 1 }));
    assert.strictEqual(stop.body.reason, 'breakpoint');
    // Once more round user1's loop: the kernel has printed its first greeting, a store per character.
    assert.strictEqual((await resumeAndStop(client, () => client.continueRequest({ threadId: 1 }))).body.reason, 'breakpoint');
    const snapshot = (await client.customRequest('hyperstep/snapshot', {})).body as PanelSnapshot;
    const cache = snapshot.translationCache!;
    assert.ok(cache, 'a translation cache under binary translation');
    assert.ok(cache.blocks.length > 3, `blocks ${cache.blocks.length}`);
    // Tiered (the launch configuration's threshold of 4): blocks run fewer times are cached but interpreted; hot ones are translated.
    const block = cache.blocks.find((b) => b.isTranslated)!;
    assert.ok(block, 'a hot block was translated');
    assert.match(block.guestInstructions[0], /^0x[0-9a-f]{8} {2}\S/);
    assert.match(block.generatedCode, /let f = cpu\.flags;/);
    assert.ok(block.executions >= 1);
    // Cold code runs on the CPU and is decoded only once hot: every translated block ran at least the threshold's 4 times.
    assert.ok(
      cache.blocks.filter((b) => b.isTranslated && b.retranslated === undefined).every((b) => b.executions >= 4),
      'only hot blocks translated',
    );
    assert.ok(
      cache.blocks.some((b) => b.guestInstructions.some((text) => /mov cr3|mov evt|out 0x40/.test(text))),
      'privileged instructions appear in cached blocks',
    );
    // Adaptive: the kernel's console store trapped again and again, so its block now calls the emulation.
    const retranslated = cache.blocks.filter((b) => b.retranslated !== undefined);
    assert.ok(retranslated.length >= 1, 'a retranslated block');
    const consoleBlock = retranslated.find((b) => /stores to the memory-mapped console/.test(b.retranslated!))!;
    assert.ok(consoleBlock, retranslated.map((b) => b.retranslated).join('; '));
    assert.match(consoleBlock.retranslated!, /^`stb? \[[^`]*\], r\d+` trapped 4 times \(stores to the memory-mapped console\): now emulated without a trap$/);
    assert.ok(consoleBlock.isTranslated);
    assert.ok(consoleBlock.guestInstructions.some((text) => / {2}stb? \[/.test(text)));
    assert.match(consoleBlock.generatedCode, /adaptive: emulated without a trap/);
  });

  it('has no translation cache under trap-and-emulate', async () => {
    await launchAndStop(client, { program: path.join(EXAMPLES, 'hello.g32'), virtualization: 'trap-and-emulate' });
    const snapshot = (await client.customRequest('hyperstep/snapshot', {})).body as PanelSnapshot;
    assert.strictEqual(snapshot.translationCache, undefined);
  });
});
