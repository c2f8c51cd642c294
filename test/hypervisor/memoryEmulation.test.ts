// Every instruction of the opcode table that accesses memory, with its access
// aimed at the console page: the hypervisor cannot let the guest touch the
// device, so the access faults and the hypervisor emulates the instruction from
// what the table says it accesses (`OpInfo.access`). The guest must see what
// bare hardware shows: the same registers, pc, console output, memory and stop.

import * as assert from 'assert';
import { createHash } from 'crypto';
import { encodeWord0 } from '../../src/machine/decode';
import { CONSOLE_BASE, INSTRUCTIONS, Op, OpInfo } from '../../src/machine/isa';
import { LoadableImage } from '../../src/machine/machine';
import { createSystem, SETTING_CHOICES, SettingChoice } from '../../src/hypervisor/system';

const LANDING = 0x1000;
const TABLE = 0x2000;
const DUMP = 0x5000;
/** The stored value (its low byte is printed). */
const STORED = 0x41;

function words(list: Array<[number, number, number, number?]>): Uint8Array {
  const out: number[] = [];
  for (const [op, a, b, imm] of list) {
    out.push(encodeWord0(op, a, b));
    if (imm !== undefined) out.push(imm >>> 0);
  }
  const bytes = new Uint8Array(out.length * 4);
  const view = new DataView(bytes.buffer);
  out.forEach((w, i) => view.setUint32(i * 4, w, true));
  return bytes;
}

/** Stores r0–r15 at DUMP (no stack: sp may point at the device), then halts. */
function dump(): Array<[number, number, number, number?]> {
  return [...Array.from({ length: 16 }, (_, r): [number, number, number, number] => [Op.ST_A, r, 0, DUMP + 4 * r]), [Op.CLI, 0, 0], [Op.HLT, 0, 0]];
}

/** A program whose one instruction under test reads or writes the console page. */
function imageOf(info: OpInfo): LoadableImage {
  const access = info.access;
  // Writes go to the console's data word (which prints the low byte), reads to its status word (which reads 1).
  const isWrite = access.kind === 'store' || access.kind === 'push';
  const device = isWrite ? CONSOLE_BASE : CONSOLE_BASE + 4;
  // push writes at sp - 4, pop reads at sp.
  const sp = access.kind === 'push' ? device + 4 : access.kind === 'pop' ? device : 0x8000;
  const imm = info.mem === 'disp' ? 8 : info.mem === 'abs' ? device : info.roles.includes('target') ? LANDING : 0x42;
  const a = info.usesA ? (info.roles.includes('target') ? 4 : 3) : 0;
  const b = info.usesB ? 2 : 0;
  const code = words([
    [Op.MOV_RI, 1, 0, TABLE],
    [Op.MOV_EVT_R, 1, 0],
    [Op.MOV_RI, 2, 0, info.mem === 'disp' ? device - 8 : device],
    [Op.MOV_RI, 3, 0, STORED],
    [Op.MOV_RI, 4, 0, LANDING],
    [Op.MOV_RI, 15, 0, sp],
    [info.op, a, b, info.length === 8 ? imm : undefined],
    ...dump(),
  ]);
  const table = new Uint8Array(256);
  const tableView = new DataView(table.buffer);
  for (let v = 0; v < 64; v++) tableView.setUint32(v * 4, LANDING, true);
  return {
    chunks: [
      { address: 0, bytes: code },
      { address: LANDING, bytes: words(dump()) },
      { address: TABLE, bytes: table },
    ],
    entry: 0,
  };
}

function outcome(image: LoadableImage, setting: SettingChoice) {
  const system = createSystem({ ...setting, guests: [{ name: 'device', image, memory: 0x10000 }], maxInstructions: 200 });
  const result = system.run();
  const view = system.guest(0);
  return {
    state: {
      reason: result.reason,
      regs: [...view.regs],
      pc: view.pc,
      flags: view.flags,
      isUser: view.isUser,
      console: Buffer.from(view.console).toString('hex'),
      memory: createHash('sha1').update(view.memory()).digest('hex'),
    },
    ioEmulated: system.counters()?.ioEmulated ?? 0,
  };
}

/**
 * Trap-and-emulate runs the guest kernel in real user mode, where pushf and popf
 * misbehave without trapping (they are sensitive); binary translation gives them
 * their bare-hardware effect, so it takes every form.
 */
function settingsFor(info: OpInfo): SettingChoice[] {
  return SETTING_CHOICES.filter((s) => s.virtualization === 'binary-translation' || (s.virtualization === 'trap-and-emulate' && info.cls === 'ordinary'));
}

describe('hypervisor: instructions whose memory access lands on a device page are emulated as bare hardware runs them', () => {
  // iret (privileged) is emulated as a whole, through the guest's own view of memory, never here.
  const forms = INSTRUCTIONS.filter((info) => info.access.kind !== 'none' && info.cls !== 'privileged');

  it('covers every access kind of the table', () => {
    assert.deepStrictEqual([...new Set(forms.map((info) => info.access.kind))].sort(), ['load', 'pop', 'push', 'store']);
  });

  for (const info of forms) {
    it(`${info.mnemonic} (opcode 0x${info.op.toString(16)}, ${info.access.kind})`, () => {
      const image = imageOf(info);
      const bare = outcome(image, { virtualization: 'none' });
      for (const setting of settingsFor(info)) {
        const other = outcome(image, setting);
        assert.deepStrictEqual(other.state, bare.state, `${info.mnemonic} under ${setting.virtualization} / ${setting.paging}`);
        // The access really went through the hypervisor's emulation.
        assert.ok(other.ioEmulated > 0, `${info.mnemonic} under ${setting.virtualization}: no memory-mapped I/O was emulated`);
      }
    });
  }
});
