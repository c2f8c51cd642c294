// The command line on bare hardware (g32-isa.md §8): `hyperstep run FILE`
// exits with the documented status for each way a run ends, writes exactly
// the console bytes to stdout and every diagnostic to stderr.

import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const MAIN = path.resolve(__dirname, '../../src/cli/main.js');

interface CliResult {
  status: number | null;
  stdout: Buffer;
  stderr: string;
}

let directory = '';

function cli(args: string[]): CliResult {
  const result = spawnSync(process.execPath, [MAIN, ...args], { cwd: directory, timeout: 60000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr.toString('utf8') };
}

function write(name: string, text: string): string {
  fs.writeFileSync(path.join(directory, name), text);
  return name;
}

const HELLO = `
_start: mov r1, msg
.next:  ldb r0, [r1]
        test r0, r0
        jz .done
        st [0xFFFF0000], r0
        add r1, 1
        jmp .next
.done:  hlt
msg:    .asciz "Hello, G32!\\n"
`;

/** Echoes keyboard bytes to the console by polling, until 'q'. */
const ECHO = `
_start: in r1, 0x64
        test r1, r1
        jz _start
        in r0, 0x60
        cmp r0, 'q'
        je .done
        st [0xFFFF0000], r0
        jmp _start
.done:  hlt
`;

describe('machine: command line (hyperstep run)', function () {
  this.timeout(60000);

  before(() => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'hyperstep-cli-'));
  });

  after(() => {
    fs.rmSync(directory, { recursive: true, force: true });
  });

  it('0: machine halted; stdout is exactly the console bytes, stderr is empty', () => {
    const result = cli(['run', write('hello.g32', HELLO)]);
    assert.deepEqual({ status: result.status, stdout: result.stdout.toString('latin1'), stderr: result.stderr }, { status: 0, stdout: 'Hello, G32!\n', stderr: '' });
  });

  it('stdout carries raw bytes (not UTF-8 re-encoded), including 0x00 and 0xFF', () => {
    const result = cli([
      'run',
      write(
        'bytes.g32',
        `
_start: mov r1, 0xE9
        st [0xFFFF0000], r1
        mov r1, 0
        st [0xFFFF0000], r1
        mov r1, 0xFF
        stb [0xFFFF0000], r1
        hlt`,
      ),
    ]);
    assert.equal(result.status, 0);
    assert.deepEqual([...result.stdout], [0xe9, 0x00, 0xff]);
  });

  it('1: assembly error; every error on stderr as FILE:LINE:COL: error: expected …, found …; nothing on stdout', () => {
    const result = cli([
      'run',
      write(
        'bad.g32',
        `_start: mov r1, 5
        bogus r1
        add r1,
        hlt`,
      ),
    ]);
    assert.equal(result.status, 1);
    assert.equal(result.stdout.length, 0);
    const lines = result.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 2, result.stderr);
    assert.match(lines[0], /^bad\.g32:2:9: error: expected .+, found .+$/);
    assert.match(lines[1], /^bad\.g32:3:\d+: error: expected .+, found .+$/);
  });

  it('1: a file without _start or .entry is an assembly error', () => {
    const result = cli(['run', write('noentry.g32', 'main: hlt\n')]);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /^noentry\.g32:\d+:\d+: error: /m);
  });

  it('2: triple fault (with the reason on stderr)', () => {
    const result = cli([
      'run',
      write(
        'triple.g32',
        `
_start: mov sp, 0x8000
        mov r1, 0x1000
        mov cr3, r1
        .word 0
        .org 0x1000
        .word 0x2003
        .org 0x2000
        .word 0x0003`,
      ),
    ]);
    assert.equal(result.status, 2);
    assert.equal(result.stdout.length, 0);
    assert.match(result.stderr, /triple fault/);
  });

  it('3: bus error; what was printed before still reaches stdout', () => {
    const result = cli([
      'run',
      write(
        'bus.g32',
        `
_start: mov r1, 'x'
        st [0xFFFF0000], r1
        ld r1, [0x200000]
        hlt`,
      ),
    ]);
    assert.equal(result.status, 3);
    assert.equal(result.stdout.toString('latin1'), 'x');
    assert.match(result.stderr, /bus error/);
  });

  it('4: instruction limit (--max-instructions counts retired instructions)', () => {
    const file = write(
      'loop.g32',
      `
_start: st [0xFFFF0000], r1
        jmp _start`,
    );
    const result = cli(['run', file, '--max-instructions', '9']);
    assert.equal(result.status, 4);
    assert.equal(result.stdout.length, 5, 'a store on instructions 1, 3, 5, 7, 9');
    assert.match(result.stderr, /limit/);
    assert.equal(cli(['run', file, '--max-instructions', '10']).stdout.length, 5);
    assert.equal(cli(['run', file, '--max-instructions', '11']).stdout.length, 6);
  });

  it('5: exception loop', () => {
    const result = cli([
      'run',
      write(
        'loop5.g32',
        `
_start: mov sp, 0x400000
        mov r1, 0x1000
        mov evt, r1
        .word 0                  ; #UD; its handler at 0x2000 is undefined too
        .org 0x1018
        .word 0x2000`,
      ),
      '--memory',
      String(0x400000),
    ]);
    assert.equal(result.status, 5);
    assert.match(result.stderr, /exception loop/);
  });

  it('--memory changes the RAM size (a bus error past it)', () => {
    const file = write(
      'mem.g32',
      `
_start: ld r1, [0x1FFC]
        hlt`,
    );
    assert.equal(cli(['run', file, '--memory', '8192']).status, 0);
    assert.equal(cli(['run', file, '--memory', '4096']).status, 3);
  });

  it('--input gives literal bytes at tick 0', () => {
    const result = cli(['run', write('echo.g32', ECHO), '--input', 'ab\\n c\u00e9q']);
    assert.equal(result.status, 0);
    assert.equal(result.stdout.toString('utf8'), 'ab\\n c\u00e9');
  });

  it('--input-at TICK:TEXT adds input later (repeatable, any order); a colon in the text stays', () => {
    const result = cli(['run', write('echo2.g32', ECHO), '--input-at', '500:3:4q', '--input', '1', '--input-at', '100:2']);
    assert.equal(result.status, 0);
    assert.equal(result.stdout.toString('latin1'), '123:4');
  });

  it('without input, a program waiting in hlt with IF = 1 and nothing to come halts (status 0)', () => {
    const result = cli([
      'run',
      write(
        'hlt.g32',
        `
_start: sti
        hlt`,
      ),
    ]);
    assert.equal(result.status, 0);
  });

  it('--help exits 0 (top level and for run)', () => {
    const top = cli(['--help']);
    assert.equal(top.status, 0);
    assert.match(top.stdout.toString(), /run/);
    const run = cli(['run', '--help']);
    assert.equal(run.status, 0);
    assert.match(run.stdout.toString(), /--max-instructions/);
  });

  it('64: bad command-line usage', () => {
    const file = write('ok.g32', '_start: hlt\n');
    const cases: string[][] = [
      ['run', file, '--no-such-option'],
      ['run'],
      ['frobnicate', file],
      ['run', file, '--max-instructions', 'many'],
      ['run', file, '--max-instructions', '0'],
      ['run', file, '--memory', '1000'],
      ['run', file, '--tlb-entries', '-1'],
      ['run', file, '--input-at', 'soon:x'],
      ['run', file, '--virtualization', 'vmware'],
      ['run', 'missing.g32'],
    ];
    for (const args of cases) {
      const result = cli(args);
      assert.equal(result.status, 64, `hyperstep ${args.join(' ')}: ${result.stderr}`);
      assert.equal(result.stdout.length, 0, `hyperstep ${args.join(' ')} wrote to stdout`);
      assert.ok(result.stderr.length > 0, `hyperstep ${args.join(' ')} said nothing on stderr`);
    }
  });

  it('--tlb-entries is accepted (0 = no TLB) and does not change what a program prints', () => {
    const file = write('hello2.g32', HELLO);
    for (const n of ['0', '1', '16', '4096']) {
      const result = cli(['run', file, '--tlb-entries', n]);
      assert.equal(result.status, 0);
      assert.equal(result.stdout.toString('latin1'), 'Hello, G32!\n');
    }
  });
});
