// Console output of long runs costs bounded memory: the console keeps the last
// CONSOLE_TAIL_BYTES bytes and a digest of all of them, snapshots restore both,
// and the divergence finder compares digests, never the output itself.

import * as assert from 'assert';
import { compareViews, findDivergence } from '../../src/hypervisor/compare';
import { createSystem, GuestView } from '../../src/hypervisor/system';
import { Console, CONSOLE_TAIL_BYTES } from '../../src/machine/devices/console';
import { CONSOLE_BASE } from '../../src/machine/isa';
import { imageOfText, run } from './setup';

/** Prints the bytes 0, 1, 2, … (mod 256) in a loop. */
const COUNTING_PRINTER = '_start: mov r0, 0\n.loop:  st [0xFFFF0000], r0\n        add r0, 1\n        jmp .loop\n';

function print(console: Console, bytes: Iterable<number>): void {
  for (const byte of bytes) console.store(CONSOLE_BASE, byte);
}

describe('hypervisor: console output of long runs', () => {
  it('a guest that prints 200,000 bytes leaves the last CONSOLE_TAIL_BYTES of them and the full count', () => {
    const printed = 200_000;
    for (const setting of [{ virtualization: 'none' as const }, { virtualization: 'binary-translation' as const }]) {
      const { view } = run(imageOfText(COUNTING_PRINTER), setting, { maxInstructions: 1 + 3 * printed });
      assert.strictEqual(view.consoleDigest.length, printed);
      assert.strictEqual(view.console.length, CONSOLE_TAIL_BYTES);
      // The tail is the last bytes, in order.
      assert.deepStrictEqual(
        [...view.console.subarray(0, 4)],
        [0, 1, 2, 3].map((i) => (printed - CONSOLE_TAIL_BYTES + i) & 0xff),
      );
      assert.strictEqual(view.console[CONSOLE_TAIL_BYTES - 1], (printed - 1) & 0xff);
    }
  });

  it('equal output has equal digests; one different byte far back changes it', () => {
    const a = new Console();
    const b = new Console();
    const c = new Console();
    const bytes = Array.from({ length: 3 * CONSOLE_TAIL_BYTES }, (_, i) => (i * 7) & 0xff);
    print(a, bytes);
    print(b, bytes);
    print(
      c,
      bytes.map((byte, i) => (i === 10 ? byte ^ 1 : byte)),
    );
    assert.deepStrictEqual(a.digest, b.digest);
    assert.notDeepStrictEqual(a.digest, c.digest);
    assert.deepStrictEqual(a.output, c.output, 'the tails agree: only the digest sees the difference');
  });

  it('a snapshot restores the count, the digest and the tail', () => {
    const console = new Console();
    print(
      console,
      Array.from({ length: CONSOLE_TAIL_BYTES + 100 }, (_, i) => i & 0xff),
    );
    const saved = console.saveState();
    const before = { digest: console.digest, output: console.output };
    print(
      console,
      Array.from({ length: 5000 }, () => 0x41),
    );
    console.loadState(saved);
    assert.deepStrictEqual(console.digest, before.digest);
    assert.deepStrictEqual(console.output, before.output);
    print(console, [1]);
    const fresh = new Console();
    print(fresh, [...Array.from({ length: CONSOLE_TAIL_BYTES + 100 }, (_, i) => i & 0xff), 1]);
    assert.deepStrictEqual(console.digest, fresh.digest, 'printing after a restore continues the same digest');
  });

  it('the divergence finder compares digests and never copies the output', () => {
    const image = imageOfText(COUNTING_PRINTER);
    const make = (virtualization: 'none' | 'trap-and-emulate') => () => {
      const system = createSystem({ virtualization, guests: [{ name: 'printer', image }], maxInstructions: 30_000 });
      const guest = system.guest.bind(system);
      // A view whose output may not be read: compare must get by with the digest.
      system.guest = (index: number): GuestView => Object.defineProperty(guest(index), 'console', { get: () => assert.fail('the whole console was read') });
      return system;
    };
    const result = findDivergence(make('none'), make('trap-and-emulate'));
    assert.strictEqual(result.divergence, undefined);
    assert.strictEqual(result.ticksCompared, 30_000);
  });

  it('a difference in output is reported with the last bytes of each side', () => {
    const base = run(imageOfText("_start: mov r0, 'a'\n st [0xFFFF0000], r0\n mov r0, 0\n hlt\n"), { virtualization: 'none' }).view;
    const other = run(imageOfText("_start: mov r0, 'b'\n st [0xFFFF0000], r0\n mov r0, 0\n hlt\n"), { virtualization: 'none' }).view;
    assert.deepStrictEqual(compareViews(base, other, 'bare', 'other', false), ['console output: bare "a", other "b"']);
  });
});
