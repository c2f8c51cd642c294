// Several guests on one machine: each gets its own machine frames and runs
// round-robin; no guest can read or write another guest's memory or the
// hypervisor's, whatever it puts in its page tables.

import * as assert from 'assert';
import { createSystem } from '../../src/hypervisor/system';
import { imageOfFile, imageOfText, input } from './setup';

// Writes a secret into its own RAM and prints it back, slowly, many times.
const KEEPER = `
        .org 0x1000
_start: mov r1, 0x5EC2E7
        st [0x8000], r1
        mov r3, 0
.loop:  ld r2, [0x8000]
        cmp r2, 0x5EC2E7
        jnz .broken
        add r3, 1
        cmp r3, 3000
        jb .loop
        mov r1, 'K'
        stb [0xFFFF0000], r1
        mov r1, 10
        stb [0xFFFF0000], r1
        cli
        hlt
.broken: mov r1, '!'
        stb [0xFFFF0000], r1
        cli
        hlt
`;

// Builds page tables that map every page of a 4 MiB window, one directory
// entry per 4 MiB of "physical" address, and scans them all for the secret,
// overwriting every word it can reach. Only its own RAM is reachable: past its
// end the hypervisor stops it with a bus error, never touching anything else.
const ATTACKER = `
        .org 0x1000
_start: mov sp, 0x3000
        ; page table at 0x4000 maps virtual 0x00400000.. to physical 0x0, 0x1000, ... 0x3FF000
        mov r1, 0
.fill:  mov r2, r1
        shl r2, 12
        or r2, 3
        mov r3, r1
        shl r3, 2
        add r3, 0x4000
        st [r3], r2
        add r1, 1
        cmp r1, 1024
        jb .fill
        ; identity map for the code at directory entry 0 (page table 0x5000)
        mov r1, 0
.id:    mov r2, r1
        shl r2, 12
        or r2, 3
        mov r3, r1
        shl r3, 2
        add r3, 0x5000
        st [r3], r2
        add r1, 1
        cmp r1, 16
        jb .id
        mov r1, 0x5000 | 3
        st [0x6000], r1
        mov r1, 0x4000 | 3
        st [0x6004], r1
        mov r1, 0x6000
        mov cr3, r1
        ; scan and smash from virtual 0x00410000 (physical 0x10000) upward, past the end of its RAM
        mov r4, 0x00410000
.scan:  ld r5, [r4]
        cmp r5, 0x5EC2E7
        jz .found
        mov r6, 0xBAD
        st [r4], r6
        add r4, 4
        jmp .scan
.found: mov r1, 'F'
        stb [0xFFFF0000], r1
        cli
        hlt
`;

describe('hypervisor: several guests', () => {
  it('round-robin guests each see only their own memory; an attacker stops with a bus error at the end of its RAM', () => {
    const system = createSystem({
      virtualization: 'trap-and-emulate',
      paging: 'shadow-on-demand',
      kernelShadows: 'separate',
      guests: [
        { name: 'keeper', image: imageOfText(KEEPER), memory: 64 * 1024 },
        { name: 'attacker', image: imageOfText(ATTACKER), memory: 128 * 1024 },
        { name: 'keeper2', image: imageOfText(KEEPER), memory: 64 * 1024 },
      ],
    });
    const result = system.run();
    const hv = system.hypervisor!;
    assert.strictEqual(Buffer.from(system.guest(0).console).toString(), 'K\n');
    assert.strictEqual(Buffer.from(system.guest(2).console).toString(), 'K\n');
    assert.strictEqual(Buffer.from(system.guest(1).console).toString(), '', 'the attacker never found the secret');
    assert.strictEqual(hv.guests[0].stopReason, 'halted');
    assert.strictEqual(hv.guests[1].stopReason, 'bus-error');
    assert.match(hv.guests[1].stopDetail, /0x00020000/);
    assert.strictEqual(hv.guests[2].stopReason, 'halted');
    assert.strictEqual(result.reason, 'bus-error');
    // Every guest ran: the keepers' 3000-iteration loops were interleaved with the attacker.
    assert.ok(system.guest(0).retired > 9000 && system.guest(2).retired > 9000);
    // The attacker smashed all of its own RAM above 0x10000 but nothing else.
    const attackerMemory = system.guest(1).memory();
    assert.strictEqual(new DataView(attackerMemory.buffer).getUint32(0x1fffc, true), 0xbad);
  });

  it('two copies of the example OS run side by side with the same output as alone', () => {
    const image = imageOfFile('examples/os/kernel.g32');
    const alone = createSystem({ virtualization: 'none', guests: [{ name: 'os', image, inputs: [input(2000, 'k')] }] });
    alone.run();
    const expected = Buffer.from(alone.guest(0).console).toString();
    for (const paging of ['shadow-on-demand', 'shadow-proactive'] as const) {
      const system = createSystem({
        virtualization: 'trap-and-emulate',
        paging,
        kernelShadows: 'separate',
        guests: [
          { name: 'a', image, inputs: [input(2000, 'k')] },
          { name: 'b', image, inputs: [input(2000, 'k')] },
        ],
      });
      const result = system.run();
      assert.strictEqual(result.reason, 'halted', result.detail);
      assert.strictEqual(Buffer.from(system.guest(0).console).toString(), expected);
      assert.strictEqual(Buffer.from(system.guest(1).console).toString(), expected);
      // Machine frames of the two guests never overlap, and neither is the identity.
      const [a, b] = system.hypervisor!.guests.map((g) => new Set(g.memory.frames));
      for (const frame of a) assert.ok(!b.has(frame));
      assert.notStrictEqual(system.hypervisor!.guests[0].memory.toMachine(0), 0);
    }
  });
});
