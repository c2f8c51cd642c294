// The example guest programs in examples/: each is assembled from disk and run
// on bare hardware (`virtualization: none`), once through the command line's
// `main` (the exact commands examples/README.md shows) and once through the
// Machine API, and its console output and stop reason are compared exactly.
// Then each runs under every virtualization setting this build supports:
// hello.g32 and os/ must match bare hardware in everything the guest can see
// (g32-isa.md 7), and popf.g32 must show its divergence where it should.
// These programs are what a new user runs first, so a change to the
// assembler or the machine that alters them should fail here, loudly.

import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { assemble, AssembleResult } from '../../src/asm';
import { main, CliIo } from '../../src/cli/main';
import { createSystem, GuestView, SystemOptions, VIRTUALIZATIONS } from '../../src/hypervisor/system';
import { INSTRUCTIONS } from '../../src/machine/isa';
import { Machine } from '../../src/machine/machine';
import { TimedInput } from '../../src/machine/devices/keyboard';
import { OS_WITH_KEY } from './expectedOutput';

/** The repository root: the first directory upward holding examples/hello.g32 (works from test/ and from out/test/). */
function findRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'examples', 'hello.g32'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`examples/ not found above ${__dirname}`);
  }
}

const ROOT = findRoot();
const example = (name: string): string => path.join(ROOT, 'examples', name);

function readFile(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function assembleExample(name: string): AssembleResult {
  const result = assemble(example(name), { readFile });
  assert.deepEqual(
    result.diagnostics.map((d) => `${d.file}:${d.line}:${d.column}: ${d.message}`),
    [],
  );
  assert.ok(result.image, `${name} produced no image`);
  return result;
}

interface MachineRun {
  output: string;
  reason: string;
  retired: number;
}

function runOnMachine(name: string, inputs: TimedInput[] = []): MachineRun {
  const machine = new Machine({ inputs });
  machine.load(assembleExample(name).image!);
  const bytes: number[] = [];
  machine.devices.console.onByte = (byte) => bytes.push(byte);
  const result = machine.run();
  return { output: Buffer.from(bytes).toString('latin1'), reason: result.reason, retired: machine.cpu.retired };
}

interface CliRun {
  status: number;
  stdout: string;
  stderr: string;
}

function runCli(argv: string[]): CliRun {
  const stdout: Buffer[] = [];
  let stderr = '';
  const io: CliIo = {
    stdout: (data) => {
      stdout.push(Buffer.from(data));
    },
    stderr: (text) => {
      stderr += text;
    },
    readFile,
    readSourceFile: (file) => {
      const text = readFile(file);
      return text === undefined ? { error: 'no such file' } : { text };
    },
    writeFile: () => {
      throw new Error('the examples write no files');
    },
    openTrace: () => {
      throw new Error('the examples write no traces');
    },
  };
  const status = main(argv, io);
  return { status, stdout: Buffer.concat(stdout).toString('latin1'), stderr };
}

const lines = (...text: string[]): string => text.map((line) => line + '\n').join('');

const HELLO = 'Hello, world!\n';

/** Under trap-and-emulate (and paravirtual, which runs an unmodified guest the same way). */
const POPF_LOST = lines('popf demo: pushf; cli; work; popf', 'interrupts lost: IF stayed 0 after popf');

const POPF_BARE = lines('popf demo: pushf; cli; work; popf', 'tick 1', 'tick 2', 'tick 3', 'done: popf restored IF after every critical section');

/** Without input user1 blocks forever; the kernel idles and the machine halts because nothing can come. */
const OS_NO_INPUT = lines(
  '[kernel] booting 3 processes',
  '[user1] hello 1 of 3',
  '[user1] hello 2 of 3',
  '[user1] hello 3 of 3',
  '[kernel] process 1 waits for a key',
  '[user3] reading kernel memory at 0x00001000',
  '[kernel] process 3 killed: page fault at pc 0x0040001c, address 0x00001000, error 5',
  '[user2] 25 primes below 100',
  '[user2] 46 primes below 200',
  '[user2] 62 primes below 300',
  '[kernel] process 2 exited',
  '[kernel] idle: every process is waiting for a key',
);

/** Input at tick 0 is queued by the kernel before user1 asks: `read` returns without blocking. */
const OS_EARLY_KEY = lines(
  '[kernel] booting 3 processes',
  '[user1] hello 1 of 3',
  '[user1] hello 2 of 3',
  '[user1] hello 3 of 3',
  "[user1] read returned 'x'",
  '[kernel] process 1 exited',
  '[user3] reading kernel memory at 0x00001000',
  '[kernel] process 3 killed: page fault at pc 0x0040001c, address 0x00001000, error 5',
  '[user2] 25 primes below 100',
  '[user2] 46 primes below 200',
  '[user2] 62 primes below 300',
  '[kernel] process 2 exited',
  '[kernel] all processes have exited; halting',
);

describe('examples: the README commands', () => {
  it('hyperstep run examples/hello.g32', () => {
    assert.deepEqual(runCli(['run', example('hello.g32')]), { status: 0, stdout: HELLO, stderr: '' });
  });

  it('hyperstep run examples/popf.g32', () => {
    assert.deepEqual(runCli(['run', example('popf.g32')]), { status: 0, stdout: POPF_BARE, stderr: '' });
  });

  it('hyperstep run examples/popf.g32 --virtualization trap-and-emulate', () => {
    assert.deepEqual(runCli(['run', example('popf.g32'), '--virtualization', 'trap-and-emulate']), { status: 0, stdout: POPF_LOST, stderr: '' });
  });

  it('hyperstep run examples/os/kernel.g32 --input-at 2000:k', () => {
    assert.deepEqual(runCli(['run', example('os/kernel.g32'), '--input-at', '2000:k']), { status: 0, stdout: OS_WITH_KEY, stderr: '' });
  });

  it('hyperstep run examples/os/kernel.g32 (no input: idles, then halts)', () => {
    assert.deepEqual(runCli(['run', example('os/kernel.g32')]), { status: 0, stdout: OS_NO_INPUT, stderr: '' });
  });

  it('hyperstep run examples/os/kernel.g32 --input x (key queued before read)', () => {
    assert.deepEqual(runCli(['run', example('os/kernel.g32'), '--input', 'x']), { status: 0, stdout: OS_EARLY_KEY, stderr: '' });
  });
});

describe('examples: through the Machine API', () => {
  it('hello.g32 prints and halts', () => {
    const run = runOnMachine('hello.g32');
    assert.equal(run.output, HELLO);
    assert.equal(run.reason, 'halted');
  });

  it('popf.g32 keeps its interrupts on bare hardware', () => {
    const run = runOnMachine('popf.g32');
    assert.equal(run.output, POPF_BARE);
    assert.equal(run.reason, 'halted');
  });

  it('os/kernel.g32: the blocking read is woken by a key that arrives while user2 runs', () => {
    const run = runOnMachine('os/kernel.g32', [{ tick: 2000, bytes: Buffer.from('k') }]);
    assert.equal(run.output, OS_WITH_KEY);
    assert.equal(run.reason, 'halted');
    assert.ok(run.retired < 100_000, `${run.retired} instructions`);
  });

  it('os/kernel.g32: the documented window of input ticks gives the same output', () => {
    for (const tick of [1076, 1500, 2165]) {
      assert.equal(runOnMachine('os/kernel.g32', [{ tick, bytes: Buffer.from('k') }]).output, OS_WITH_KEY, `input at tick ${tick}`);
    }
  });

  it('os/kernel.g32: a key that arrives while the kernel idles wakes the reader', () => {
    const run = runOnMachine('os/kernel.g32', [{ tick: 100_000, bytes: Buffer.from('z') }]);
    assert.equal(run.output, OS_NO_INPUT + lines("[kernel] key 'z' wakes process 1", "[user1] read returned 'z'", '[kernel] process 1 exited', '[kernel] all processes have exited; halting'));
    assert.equal(run.reason, 'halted');
  });

  it('os/ uses no sensitive instruction (pushf, popf, mov rd, evt)', () => {
    // Word 0's low byte is the opcode (src/machine/isa.ts), whose class the table gives.
    const sensitive = new Set<number>(INSTRUCTIONS.filter((info) => info.cls === 'sensitive').map((info) => info.op));
    assert.equal(sensitive.size, 3);
    const result = assembleExample('os/kernel.g32');
    const offenders = result.statements
      .filter((statement) => statement.isInstruction && sensitive.has(statement.bytes[0]))
      .map((statement) => `${path.relative(ROOT, statement.file)}:${statement.line}`);
    assert.deepEqual(offenders, []);
  });
});

type Setting = Pick<SystemOptions, 'virtualization' | 'paging' | 'kernelShadows'>;

/** Every combination of settings this build runs, bare hardware excluded. */
function virtualizedSettings(): Setting[] {
  const settings: Setting[] = [];
  for (const virtualization of VIRTUALIZATIONS) {
    if (virtualization === 'none') continue;
    const pagings = virtualization === 'hardware-assist' ? (['shadow-on-demand', 'shadow-proactive', 'nested'] as const) : (['shadow-on-demand', 'shadow-proactive'] as const);
    for (const paging of pagings) {
      for (const kernelShadows of ['separate', 'flush-on-switch'] as const) settings.push({ virtualization, paging, kernelShadows });
    }
  }
  return settings;
}

const describeSetting = (setting: Setting): string => `${setting.virtualization} / ${setting.paging} / ${setting.kernelShadows}`;

interface GuestOutcome {
  reason: string;
  output: string;
  view: Omit<GuestView, 'console' | 'consoleDigest' | 'memory' | 'name' | 'ticks' | 'regs'> & { regs: number[]; memory: Buffer };
}

function runUnder(setting: Setting, name: string, inputs: TimedInput[] = []): GuestOutcome {
  const system = createSystem({ ...setting, guests: [{ name, image: assembleExample(name).image!, inputs }] });
  const result = system.run();
  const guest = system.guest(0);
  return {
    reason: result.reason,
    output: Buffer.from(guest.console).toString('latin1'),
    view: {
      regs: Array.from(guest.regs),
      pc: guest.pc,
      flags: guest.flags,
      isUser: guest.isUser,
      cr3: guest.cr3,
      evt: guest.evt,
      ksp: guest.ksp,
      retired: guest.retired,
      memory: Buffer.from(guest.memory()),
    },
  };
}

describe('examples: under every virtualization setting this build supports', () => {
  const settings = virtualizedSettings();
  const osRuns: Array<[string, TimedInput[]]> = [
    ['--input-at 2000:k', [{ tick: 2000, bytes: Buffer.from('k') }]],
    ['no input', []],
  ];

  for (const setting of settings) {
    it(`hello.g32 under ${describeSetting(setting)} matches bare hardware`, () => {
      const bare = runUnder({ virtualization: 'none' }, 'hello.g32');
      const got = runUnder(setting, 'hello.g32');
      assert.equal(got.output, HELLO);
      assert.deepEqual(got, bare);
    });

    for (const [label, inputs] of osRuns) {
      it(`os/kernel.g32 (${label}) under ${describeSetting(setting)} matches bare hardware, A and D bits included`, () => {
        const bare = runUnder({ virtualization: 'none' }, 'os/kernel.g32', inputs);
        const got = runUnder(setting, 'os/kernel.g32', inputs);
        assert.equal(got.output, inputs.length ? OS_WITH_KEY : OS_NO_INPUT);
        assert.equal(got.reason, 'halted');
        assert.deepEqual(got, bare);
      });
    }

    it(`popf.g32 under ${describeSetting(setting)} shows ${setting.virtualization === 'trap-and-emulate' || setting.virtualization === 'paravirtual' ? 'the lost interrupts' : 'bare-hardware behaviour'}`, () => {
      const loses = setting.virtualization === 'trap-and-emulate' || setting.virtualization === 'paravirtual';
      const got = runUnder(setting, 'popf.g32');
      assert.equal(got.output, loses ? POPF_LOST : POPF_BARE);
      assert.equal(got.reason, 'halted');
    });
  }
});
