// The command line against hostile files and environments: devices, pipes and
// huge files are refused with the reason, images that cannot fit are refused
// before memory is allocated, output and traces stream, a closed stdout is
// not an error, and text from files reaches the terminal escaped.

import * as assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
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
  const result = spawnSync(process.execPath, [MAIN, ...args], { cwd: directory, timeout: 60000, maxBuffer: 64 * 1024 * 1024 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr.toString('utf8') };
}

function write(name: string, text: string): string {
  fs.writeFileSync(path.join(directory, name), text);
  return name;
}

const PRINT_LOOP = '_start: mov r0, 0x78\n.loop:  st [0xFFFF0000], r0\n        jmp .loop\n';
const SAY_HI = "_start: mov r0, 'h'\n  st [0xFFFF0000], r0\n  mov r0, 'i'\n  st [0xFFFF0000], r0\n  hlt\n";

describe('machine: command line against hostile input', function () {
  this.timeout(60000);

  before(() => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'hyperstep-hostile-'));
    fs.symlinkSync('/dev/zero', path.join(directory, 'zero.g32'));
    execFileSync('mkfifo', [path.join(directory, 'pipe.g32')]);
  });

  after(() => {
    fs.rmSync(directory, { recursive: true, force: true });
  });

  it('.include "/dev/zero" is an assembly error at the .include (status 1)', () => {
    const result = cli(['run', write('inc.g32', '_start: hlt\n.include "/dev/zero"\n')]);
    assert.equal(result.stderr, 'inc.g32:2:10: error: expected a readable file, found "/dev/zero" (looked for /dev/zero): not a regular file (a character device)\n');
    assert.equal(result.status, 1);
  });

  it('a sibling .g32 that is a named pipe is refused at once, not waited on', () => {
    const result = cli(['asm', write('incpipe.g32', '_start: hlt\n.include "pipe.g32"\n')]);
    assert.equal(result.stderr, `incpipe.g32:2:10: error: expected a readable file, found "pipe.g32" (looked for ${path.join(directory, 'pipe.g32')}): not a regular file (a named pipe)\n`);
    assert.equal(result.status, 1);
  });

  it('a program that is a link to /dev/zero, directly or in a machine description, is bad usage with the reason', () => {
    const direct = cli(['run', 'zero.g32']);
    assert.equal(direct.stderr, `hyperstep: cannot read ${path.join(directory, 'zero.g32')}: not a regular file (a character device)\n`);
    assert.equal(direct.status, 64);
    const described = cli(['run', '--machine', write('zero.json', JSON.stringify({ virtualization: 'trap-and-emulate', guests: [{ name: 'os', program: 'zero.g32' }] }))]);
    assert.equal(described.stderr, `hyperstep: guest "os": cannot read ${path.join(directory, 'zero.g32')}: not a regular file (a character device)\n`);
    assert.equal(described.status, 64);
    const asm = cli(['asm', 'pipe.g32']);
    assert.equal(asm.stderr, 'hyperstep: cannot read pipe.g32: not a regular file (a named pipe)\n');
    assert.equal(asm.status, 64);
  });

  it('50 MB of blank lines is refused from its size, before it is read', () => {
    const big = path.join(directory, 'blank.g32');
    fs.closeSync(fs.openSync(big, 'w'));
    fs.truncateSync(big, 50_000_000);
    const result = cli(['run', 'blank.g32']);
    assert.equal(result.stderr, `hyperstep: cannot read ${big}: larger than the 4 MiB limit for source files (50000000 bytes)\n`);
    assert.equal(result.status, 64);
  });

  it('a 16 MiB image is refused as not fitting guest memory, with the assembly-error status', () => {
    const result = cli(['run', write('huge.g32', '_start: hlt\n.space 0x1000000 - 4\n')]);
    assert.equal(result.stderr, 'hyperstep: guest "huge": the image (16777216 bytes at 0x0) does not fit in guest memory of 1048576 bytes\n');
    assert.equal(result.status, 1);
  });

  it('five guests of 256 MiB are refused up front, naming every guest and the one limit', () => {
    const guests = ['a', 'b', 'c', 'd', 'e'].map((name) => ({ name, program: 'hi.g32', memory: 256 * 1024 * 1024 }));
    write('hi.g32', SAY_HI);
    const result = cli(['run', '--machine', write('five.json', JSON.stringify({ virtualization: 'trap-and-emulate', guests }))]);
    assert.equal(
      result.stderr,
      `hyperstep: the guests' memory ("a" 256 MiB, "b" 256 MiB, "c" 256 MiB, "d" 256 MiB, "e" 256 MiB) plus 1028 KiB for the hypervisor adds up to ${1280 * 1024 + 1028} KiB, more than the simulated machine's 1 GiB: give the guests less memory\n`,
    );
    assert.equal(result.status, 64);
  });

  it("four guests of 256 MiB are refused up front: the hypervisor's own frames do not fit beside them", () => {
    const guests = ['a', 'b', 'c', 'd'].map((name) => ({ name, program: 'hi.g32', memory: 256 * 1024 * 1024 }));
    write('hi.g32', SAY_HI);
    const result = cli(['run', '--machine', write('four.json', JSON.stringify({ virtualization: 'trap-and-emulate', guests }))]);
    assert.equal(
      result.stderr,
      'hyperstep: the guests\' memory ("a" 256 MiB, "b" 256 MiB, "c" 256 MiB, "d" 256 MiB) plus 1028 KiB for the hypervisor adds up to 1049604 KiB, more than the simulated machine\'s 1 GiB: give the guests less memory\n',
    );
    assert.equal(result.status, 64);
  });

  it('--trace into a missing folder fails before the run (status 64)', () => {
    const result = cli(['run', write('hi.g32', SAY_HI), '--trace', 'no/such/folder/t.jsonl']);
    assert.equal(result.stderr, `hyperstep: cannot write the trace to no/such/folder/t.jsonl: no such folder ${path.join(directory, 'no/such/folder')}\n`);
    assert.equal(result.stdout.length, 0, 'the guest did not run');
    assert.equal(result.status, 64);
  });

  it('--trace writes one JSON event per line as the run goes', () => {
    const result = cli(['run', write('loop.g32', PRINT_LOOP), '--max-instructions', '20000', '--trace', 'loop.jsonl']);
    assert.equal(result.status, 4);
    const lines = fs.readFileSync(path.join(directory, 'loop.jsonl'), 'utf8').split('\n');
    assert.equal(lines.pop(), '', 'the file ends with a newline');
    // One console event per store: 10,000 stores in 20,000 instructions.
    assert.equal(lines.map((line) => JSON.parse(line) as { kind: string; device?: string }).filter((e) => e.kind === 'device' && e.device === 'console').length, 10_000);
  });

  it('output is streamed: a million instructions of printing give every byte on stdout', () => {
    const result = cli(['run', write('loop.g32', PRINT_LOOP), '--max-instructions', '1000000']);
    assert.equal(result.status, 4);
    assert.equal(result.stdout.length, 500_000);
    assert.ok(result.stdout.every((byte) => byte === 0x78));
  });

  it('a closed stdout (| head -c1) ends the run quietly with its own status', () => {
    write('loop.g32', PRINT_LOOP);
    const script = `${JSON.stringify(process.execPath)} ${JSON.stringify(MAIN)} run loop.g32 --max-instructions 2000000 2>stderr.txt | head -c1; echo " \${PIPESTATUS[0]}"`;
    const out = spawnSync('bash', ['-c', script], { cwd: directory, timeout: 60000 }).stdout.toString();
    assert.equal(out, 'x 4\n');
    assert.equal(fs.readFileSync(path.join(directory, 'stderr.txt'), 'utf8'), 'hyperstep: instruction limit of 2000000 reached (pc 0x00000010, after 2000000 instructions)\n');
  });

  it('control characters and bidi overrides from files reach the terminal escaped', () => {
    const source = write('ctl.g32', '_start: hlt\n\u0007 \u202e\n');
    const result = cli(['asm', source]);
    assert.equal(result.stderr, "ctl.g32:2:1: error: expected a label, instruction or directive, found '\\x07'\n");
    const name = 'os\u001b[2J\u202e';
    const described = cli(['run', '--machine', write('ctl.json', JSON.stringify({ virtualization: 'trap-and-emulate', guests: [{ name, program: 'missing\u0007.g32' }] }))]);
    assert.equal(described.stderr, `hyperstep: guest "os\\x1b[2J\\u202e": cannot read ${path.join(directory, 'missing\\x07.g32')}: no such file\n`);
    assert.equal(described.status, 64);
    // The guest's bytes are its own; the name hyperstep prefixes its lines with is escaped.
    write('bell.g32', '_start: mov r0, 7\n  st [0xFFFF0000], r0\n  hlt\n');
    const shared = cli([
      'run',
      '--machine',
      write(
        'named.json',
        JSON.stringify({
          virtualization: 'trap-and-emulate',
          guests: [
            { name, program: 'bell.g32' },
            { name: 'b', program: 'bell.g32' },
          ],
        }),
      ),
    ]);
    assert.equal(shared.stdout.toString('latin1'), '[os\\x1b[2J\\u202e] \u0007\n[b] \u0007\n');
    assert.equal(shared.status, 0);
  });

  it('several guests share stdout line by line, and a line with no end goes out in bounded pieces', () => {
    const longLine = '_start: mov r0, 0x79\n  mov r1, 10000\n.l: st [0xFFFF0000], r0\n  sub r1, 1\n  jnz .l\n  hlt\n';
    write('long.g32', longLine);
    write('hi.g32', SAY_HI);
    const result = cli([
      'run',
      '--machine',
      write(
        'two.json',
        JSON.stringify({
          virtualization: 'trap-and-emulate',
          guests: [
            { name: 'long', program: 'long.g32' },
            { name: 'hi', program: 'hi.g32' },
          ],
        }),
      ),
    ]);
    assert.equal(result.status, 0);
    const text = result.stdout.toString('latin1');
    assert.equal(text.length, '[long] '.length + 10_000 + 1 + '[hi] hi\n'.length);
    assert.equal(text.split('[long] ').length, 2, 'the long line has one prefix');
    assert.ok(text.includes(`[long] ${'y'.repeat(10_000)}\n`), text.slice(0, 100));
    assert.ok(text.includes('[hi] hi\n'));
  });
});
