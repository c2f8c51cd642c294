// examples/os-pv: the example OS of examples/os, paravirtualized (pv.g32 and
// docs/paravirtual.md). On bare hardware it must print exactly what
// examples/os prints; under `paravirtual` it detects the VM, uses hypercalls
// instead of privileged instructions and console stores, prints the same, and
// costs fewer protection-fault, page-fault and write-protect traps than
// examples/os under trap-and-emulate. Under any hypervisor that does not take
// hypercalls (trap-and-emulate) `vmcall` is an invalid opcode, the kernel sees
// "bare hardware" and must match its bare-hardware run in everything.

import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { assemble, AssembleResult } from '../../src/asm';
import { CostCounters } from '../../src/hypervisor/costs';
import { compareViews, findDivergence, formatDivergence } from '../../src/hypervisor/compare';
import { createSystem, GuestView, SystemOptions, VirtualSystem } from '../../src/hypervisor/system';
import { INSTRUCTIONS } from '../../src/machine/isa';
import { TimedInput } from '../../src/machine/devices/keyboard';
import { OS_WITH_KEY } from './expectedOutput';

/** The repository root: the first directory upward holding examples/os-pv (works from test/ and out/test/). */
function findRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'examples', 'os-pv', 'kernel.g32'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`examples/os-pv not found above ${__dirname}`);
  }
}

const ROOT = findRoot();

function assembleFile(relative: string): AssembleResult {
  const result = assemble(path.join(ROOT, relative), { readFile: (file) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined) });
  assert.deepEqual(
    result.diagnostics.map((d) => `${d.file}:${d.line}:${d.column}: ${d.message}`),
    [],
  );
  assert.ok(result.image, `${relative} produced no image`);
  return result;
}

const OS = assembleFile('examples/os/kernel.g32');
const PV = assembleFile('examples/os-pv/kernel.g32');

function symbol(name: string): number {
  const found = PV.symbols.find((s) => s.name === name);
  assert.ok(found, `examples/os-pv defines no symbol ${name}`);
  return found.value >>> 0;
}

type Setting = Pick<SystemOptions, 'virtualization' | 'paging' | 'kernelShadows'>;
const BARE: Setting = { virtualization: 'none' };
const label = (s: Setting): string => (s.virtualization === 'none' ? 'bare hardware' : `${s.virtualization} / ${s.paging} / ${s.kernelShadows}`);

const key = (tick: number, text: string): TimedInput => ({ tick, bytes: Buffer.from(text, 'latin1') });

/** The input scenarios of examples/README.md, plus a key that wakes the idle loop. */
const SCENARIOS: Array<[string, TimedInput[]]> = [
  ['--input-at 2000:k', [key(2000, 'k')]],
  ['no input', []],
  ['--input x', [key(0, 'x')]],
  ['--input-at 100000:z', [key(100_000, 'z')]],
];

interface Outcome {
  reason: string;
  output: string;
  system: VirtualSystem;
  view: GuestView;
}

function runImage(result: AssembleResult, setting: Setting, inputs: TimedInput[]): Outcome {
  const system = createSystem({ ...setting, guests: [{ name: 'guest', image: result.image!, inputs }] });
  const run = system.run();
  const view = system.guest(0);
  return { reason: run.reason, output: Buffer.from(view.console).toString('latin1'), system, view };
}

/** What the equivalence tests compare: everything the guest can see, minus its clock. */
function visible(outcome: Outcome): unknown {
  const v = outcome.view;
  return {
    reason: outcome.reason,
    output: outcome.output,
    regs: Array.from(v.regs),
    pc: v.pc,
    flags: v.flags,
    isUser: v.isUser,
    cr3: v.cr3,
    evt: v.evt,
    ksp: v.ksp,
    retired: v.retired,
    memory: Buffer.from(v.memory()),
  };
}

const word = (memory: Uint8Array, address: number): number => (memory[address] | (memory[address + 1] << 8) | (memory[address + 2] << 16) | (memory[address + 3] << 24)) >>> 0;

/** The jump slots pv_detect retargets in a VM (pv.g32), each an 8-byte `jmp`. */
const SLOTS = ['pv_cli', 'pv_idle', 'pv_set_cr3', 'pv_set_evt', 'pv_set_ksp', 'pv_iret', 'pv_putc', 'pv_set_pte', 'pv_flush_ptes', 'pv_pte_invlpg', 'kputs', 'kwrite'];

describe('examples/os-pv on bare hardware', () => {
  it('keeps every privileged instruction but in, out and hlt in pv.g32, and uses no sensitive one', () => {
    // Word 0's low byte is the opcode (src/machine/isa.ts), whose class the table gives.
    const byOp = new Map<number, { mnemonic: string; cls: string }>(INSTRUCTIONS.map((info) => [info.op, info]));
    const offenders: string[] = [];
    for (const statement of PV.statements) {
      if (!statement.isInstruction) continue;
      const info = byOp.get(statement.bytes[0]);
      const where = `${path.relative(ROOT, statement.file)}:${statement.line}`;
      if (info?.cls === 'sensitive') offenders.push(`${where} (sensitive ${info.mnemonic})`);
      if (info?.cls === 'privileged' && path.basename(statement.file) !== 'pv.g32' && !['in', 'out', 'hlt'].includes(info.mnemonic)) {
        offenders.push(`${where} (${info.mnemonic})`);
      }
    }
    assert.deepEqual(offenders, []);
    // The console is stored to only by the native paths: pv.g32 and console.g32's two loops.
    const consoleStores = fs.readdirSync(path.join(ROOT, 'examples/os-pv')).flatMap((file) =>
      fs
        .readFileSync(path.join(ROOT, 'examples/os-pv', file), 'utf8')
        .split('\n')
        .filter((line) => /^\s*\w*:?\s*st\s+\[CONSOLE\]/i.test(line))
        .map(() => file),
    );
    assert.deepEqual(consoleStores.sort(), ['console.g32', 'console.g32', 'pv.g32']);
  });

  for (const [scenario, inputs] of SCENARIOS) {
    it(`prints exactly what examples/os prints (${scenario})`, () => {
      const os = runImage(OS, BARE, inputs);
      const pv = runImage(PV, BARE, inputs);
      assert.equal(pv.output, os.output);
      assert.equal(pv.reason, os.reason);
      assert.equal(pv.reason, 'halted');
      if (scenario === '--input-at 2000:k') assert.equal(pv.output, OS_WITH_KEY);
    });
  }

  it('detects bare hardware: pv_version stays 0 and no jump slot is retargeted', () => {
    const pv = runImage(PV, BARE, [key(2000, 'k')]);
    const memory = pv.view.memory();
    const image = PV.image!;
    const imageWord = (address: number): number => {
      const chunk = image.chunks.find((c) => address >= c.address && address + 4 <= c.address + c.bytes.length)!;
      return word(chunk.bytes, address - chunk.address);
    };
    assert.equal(word(memory, symbol('pv_version')), 0);
    for (const slot of SLOTS) assert.equal(word(memory, symbol(slot) + 4), imageWord(symbol(slot) + 4), `${slot} was retargeted`);
  });

  it('gives the documented output for every input tick of the window the kernel.g32 header gives (1280-2382)', () => {
    for (const tick of [1280, 2000, 2382]) assert.equal(runImage(PV, BARE, [key(tick, 'k')]).output, OS_WITH_KEY, `input at tick ${tick}`);
  });
});

describe('examples/os-pv under trap-and-emulate (no hypercalls: the kernel sees bare hardware)', () => {
  const settings: Setting[] = [
    { virtualization: 'trap-and-emulate', paging: 'shadow-on-demand', kernelShadows: 'separate' },
    { virtualization: 'trap-and-emulate', paging: 'shadow-proactive', kernelShadows: 'flush-on-switch' },
  ];
  for (const setting of settings) {
    it(`matches its bare-hardware run in everything the guest can see, under ${label(setting)}`, () => {
      const inputs = [key(2000, 'k')];
      const got = runImage(PV, setting, inputs);
      assert.equal(got.output, OS_WITH_KEY);
      assert.equal(got.system.counters()!.hypercalls, 0);
      assert.deepEqual(visible(got), visible(runImage(PV, BARE, inputs)));
    });
  }

  it('findDivergence finds no divergence from bare hardware', () => {
    const make = (setting: Setting) => () => createSystem({ ...setting, guests: [{ name: 'guest', image: PV.image!, inputs: [key(2000, 'k')] }] });
    const result = findDivergence(make(BARE), make(settings[0]));
    assert.equal(result.divergence, undefined, formatDivergence(result));
  });
});

const PARAVIRTUAL_SETTINGS: Setting[] = (['shadow-on-demand', 'shadow-proactive'] as const).flatMap((paging) =>
  (['separate', 'flush-on-switch'] as const).map((kernelShadows): Setting => ({ virtualization: 'paravirtual', paging, kernelShadows })),
);

describe('examples/os-pv under paravirtual', () => {
  for (const setting of PARAVIRTUAL_SETTINGS) {
    for (const [scenario, inputs] of SCENARIOS) {
      it(`prints what examples/os prints on bare hardware (${scenario}), under ${label(setting)}`, () => {
        const os = runImage(OS, BARE, inputs);
        const pv = runImage(PV, setting, inputs);
        assert.equal(pv.output, os.output);
        assert.equal(pv.reason, 'halted');
        assert.ok(pv.system.counters()!.hypercalls > 0, 'the kernel made no hypercall');
        assert.notEqual(word(pv.view.memory(), symbol('pv_version')), 0);
      });
    }
  }

  it('gives the documented output for every input tick of the window the kernel.g32 header gives (1728-2850)', () => {
    for (const tick of [1728, 2000, 2850]) {
      assert.equal(runImage(PV, PARAVIRTUAL_SETTINGS[0], [key(tick, 'k')]).output, OS_WITH_KEY, `input at tick ${tick}`);
    }
  });

  for (const paging of ['shadow-on-demand', 'shadow-proactive'] as const) {
    it(`costs fewer protection-fault, page-fault and write-protect traps than examples/os under trap-and-emulate (${paging})`, () => {
      const inputs = [key(2000, 'k')];
      const te = runImage(OS, { virtualization: 'trap-and-emulate', paging, kernelShadows: 'separate' }, inputs).system.counters()!;
      const pv = runImage(PV, { virtualization: 'paravirtual', paging, kernelShadows: 'separate' }, inputs).system.counters()!;
      const pick = (c: CostCounters) => ({
        protectionFault: c.trapsProtectionFault,
        pageFault: c.trapsPageFault,
        ioEmulated: c.ioEmulated,
        writeProtect: c.writeProtectEmulations,
        privilegedEmulated: c.privilegedEmulated,
        hypercalls: c.hypercalls,
      });
      const message = `trap-and-emulate ${JSON.stringify(pick(te))}, paravirtual ${JSON.stringify(pick(pv))}`;
      assert.ok(pv.trapsProtectionFault < te.trapsProtectionFault, message);
      // Console output no longer faults on the device page: only shadow fills and user3's fault remain.
      assert.ok(pv.trapsPageFault * 10 < te.trapsPageFault, message);
      assert.ok(pv.ioEmulated * 10 < te.ioEmulated, message);
      assert.ok(pv.privilegedEmulated < te.privilegedEmulated, message);
      assert.equal(pv.writeProtectEmulations, 0, message);
      if (paging === 'shadow-proactive') assert.ok(te.writeProtectEmulations > 0, message);
      assert.ok(pv.hypercalls > 0, message);
    });
  }

  it('findDivergence: the first difference is the detection vmcall, and is not in the console output', () => {
    const make = (setting: Setting) => () => createSystem({ ...setting, guests: [{ name: 'guest', image: PV.image!, inputs: [key(2000, 'k')] }] });
    const result = findDivergence(make(BARE), make(PARAVIRTUAL_SETTINGS[0]));
    const divergence = result.divergence;
    assert.ok(divergence, 'bare and paravirtual runs of os-pv cannot agree at every tick: they run different code');
    const vmcall = PV.statements.find(
      (s) =>
        s.isInstruction &&
        path.basename(s.file) === 'pv.g32' &&
        s.address >= symbol('pv_detect') &&
        s.address < symbol('pv_probe_ud') &&
        INSTRUCTIONS.find((info) => info.op === s.bytes[0])?.mnemonic === 'vmcall',
    );
    assert.ok(vmcall, 'pv_detect has no vmcall');
    assert.equal(divergence.pc, vmcall.address, formatDivergence(result));
    assert.match(divergence.instruction, /^vmcall/);
    assert.deepEqual(
      divergence.differences.filter((d) => d.startsWith('console')),
      [],
    );
    // r0 = the version (0 on bare hardware); pc and sp: #UD's handler on bare hardware; memory: its frame.
    assert.deepEqual(divergence.differences.map((d) => (d.startsWith('memory') ? 'memory' : d.split(':')[0])).sort(), ['memory', 'pc', 'r0', 'sp']);
  });

  it("ends in the same state as on bare hardware but for the kernel's private PV data, its dead stack and A/D bits it no longer causes", () => {
    const inputs = [key(2000, 'k')];
    const bare = runImage(PV, BARE, inputs);
    const pv = runImage(PV, PARAVIRTUAL_SETTINGS[0], inputs);
    assert.deepEqual(compareViews(bare.view, pv.view, 'bare', 'paravirtual', false), []);
    const a = bare.view.memory();
    const b = pv.view.memory();
    const inside = (address: number, start: number, end: number) => address >= start && address < end;
    const unexplained: string[] = [];
    for (let address = 0; address < Math.min(a.length, b.length); address += 4) {
      const wa = word(a, address);
      const wb = word(b, address);
      if (wa === wb) continue;
      const isSlotTarget = SLOTS.some((slot) => inside(address, symbol(slot), symbol(slot) + 12)); // the target word, read word-aligned
      const isPvData = inside(address, symbol('pv_version'), symbol('pv_version') + 4) || inside(address, symbol('pv_batch_next'), symbol('pv_batch_end'));
      const isKernelStack = inside(address, 0x1f000, 0x20000);
      const isAccessedDirty = inside(address, 0x9000, 0x11000) && ((wa ^ wb) & ~0x60) === 0;
      if (!(isSlotTarget || isPvData || isKernelStack || isAccessedDirty)) {
        unexplained.push(`0x${address.toString(16)}: bare 0x${wa.toString(16)}, paravirtual 0x${wb.toString(16)}`);
      }
    }
    assert.deepEqual(unexplained, []);
  });
});
