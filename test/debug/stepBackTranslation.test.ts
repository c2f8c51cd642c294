// Step back under binary translation: the translation cache is part of the
// saved state, so a replay from a snapshot never runs a block translated in
// the future it left (here: from code the guest rewrote later), and a
// different future (an edited register) translates what the guest wrote.

import * as assert from 'assert';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { DebugProtocol } from '@vscode/debugprotocol';
import { PanelSnapshot } from '../../src/protocol/panelMessages';
import { assertLine, fixture, launchAndStop, withAdapterClient, register, resumeAndStop, topFrame } from './helpers';

/** Named lines of patch.g32. */
const PATCH = { FIRST_CALL: 10, AFTER_FIRST: 11, AFTER_SECOND: 14 };
/** Guest address of f's immediate (`mov r2, 7` at f = 0x58). */
const F_IMMEDIATE = 0x5c;

describe('stepBack (binary translation)', function () {
  this.timeout(30000);
  let client: DebugClient;
  withAdapterClient((started) => {
    client = started;
  });

  const setLines = (lines: number[]) => client.setBreakpointsRequest({ source: { path: fixture('patch.g32') }, breakpoints: lines.map((line) => ({ line })) });
  const blocksAt = async (gva: number): Promise<string[][]> => {
    const snapshot = (await client.customRequest('hyperstep/snapshot', {})).body as PanelSnapshot;
    return snapshot.translationCache!.blocks.filter((b) => b.guestAddress === gva).map((b) => b.guestInstructions);
  };

  it('runs the code as it was, not a block translated from the code the guest wrote later', async () => {
    // Snapshots every slice: the replay starts from one taken while the spin loop ran, after f's first translation is not yet made.
    // Translated on first sight: f runs only a few times, too few to be translated when tiered.
    await launchAndStop(client, { program: fixture('patch.g32'), virtualization: 'binary-translation', stopOnEntry: false, snapshotInterval: 1000, translationThreshold: 1 }, () =>
      setLines([PATCH.AFTER_SECOND]),
    );
    assert.strictEqual(await register(client, 'r2'), 9);
    assert.match((await blocksAt(0x58))[0][0], /mov r2, 0x9/);
    await setLines([PATCH.AFTER_FIRST]);
    const back = await resumeAndStop(client, () => client.reverseContinueRequest({ threadId: 1 }));
    assert.strictEqual(back.body.reason, 'breakpoint');
    assertLine(await topFrame(client), 'patch.g32', PATCH.AFTER_FIRST);
    // f as loaded returns 7; a stale translation of the patched f would return 9.
    assert.strictEqual(await register(client, 'r2'), 7);
    const cached = await blocksAt(0x58);
    assert.ok(
      cached.every((instructions) => /mov r2, 0x7/.test(instructions[0])),
      `the cache panel shows no translation of the patched f: ${JSON.stringify(cached)}`,
    );
    assert.strictEqual(
      ((await client.customRequest('readMemory', { memoryReference: `gva:0x${F_IMMEDIATE.toString(16)}`, count: 1 })).body as DebugProtocol.ReadMemoryResponse['body'])!.data,
      Buffer.from([7]).toString('base64'),
    );
  });

  it('translates the code a different future writes', async () => {
    await launchAndStop(client, { program: fixture('patch.g32'), virtualization: 'binary-translation', stopOnEntry: false, snapshotInterval: 1000 }, () => setLines([PATCH.AFTER_SECOND]));
    await setLines([PATCH.FIRST_CALL]);
    await resumeAndStop(client, () => client.reverseContinueRequest({ threadId: 1 }));
    assertLine(await topFrame(client), 'patch.g32', PATCH.FIRST_CALL);
    // Another future: f will be patched to return 11.
    const scopes = (await client.scopesRequest({ frameId: (await topFrame(client)).id })).body.scopes;
    await client.setVariableRequest({ variablesReference: scopes[0].variablesReference, name: 'r7', value: '11' });
    await setLines([PATCH.AFTER_SECOND]);
    await resumeAndStop(client, () => client.continueRequest({ threadId: 1 }));
    assert.strictEqual(await register(client, 'r4'), 7);
    assert.strictEqual(await register(client, 'r2'), 11);
  });
});
