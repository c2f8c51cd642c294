// The adapter runs inside VS Code's extension host, so a hostile program must
// be refused with a message, not take the host down: devices and pipes are not
// read, deep expressions and images too big for the guest are refused, and
// guests that cannot share the machine's memory are named.

import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { withAdapterClient } from './helpers';

describe('debug adapter: hostile programs are refused at launch', function () {
  this.timeout(20000);
  let client: DebugClient;
  let directory = '';
  const file = (name: string, text?: string): string => {
    const full = path.join(directory, name);
    if (text !== undefined) fs.writeFileSync(full, text);
    return full;
  };

  before(() => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'hyperstep-dap-hostile-'));
    fs.symlinkSync('/dev/zero', path.join(directory, 'zero.g32'));
    execFileSync('mkfifo', [path.join(directory, 'pipe.g32')]);
  });

  after(() => {
    fs.rmSync(directory, { recursive: true, force: true });
  });

  withAdapterClient((started) => {
    client = started;
  });

  const cases: Array<[string, () => Record<string, unknown>, RegExp]> = [
    ['a program that is a link to /dev/zero', () => ({ program: file('zero.g32') }), /cannot read program .*zero\.g32: not a regular file \(a character device\)/],
    ['a program that is a named pipe', () => ({ program: file('pipe.g32') }), /cannot read program .*pipe\.g32: not a regular file \(a named pipe\)/],
    [
      '.include "/dev/zero"',
      () => ({ program: file('inc.g32', '_start: hlt\n.include "/dev/zero"\n') }),
      /inc\.g32:2:10: error: expected a readable file, found "\/dev\/zero" \(looked for \/dev\/zero\): not a regular file \(a character device\)/,
    ],
    [
      '3,000 nested parentheses',
      () => ({ program: file('paren.g32', `_start: hlt\n.word ${'('.repeat(3000)}1${')'.repeat(3000)}\n`) }),
      /paren\.g32:2:263: error: expected parentheses and unary operators nested at most 256 deep/,
    ],
    ['a 16 MiB image', () => ({ program: file('huge.g32', '_start: hlt\n.space 0x1000000 - 4\n') }), /guest "huge": the image \(16777216 bytes at 0x0\) does not fit in guest memory of 1048576 bytes/],
    [
      'five guests of 256 MiB',
      () => {
        file('hi.g32', '_start: hlt\n');
        const guests = ['a', 'b', 'c', 'd', 'e'].map((name) => ({ name, program: 'hi.g32', memory: 256 * 1024 * 1024 }));
        return { program: file('five.json', JSON.stringify({ virtualization: 'trap-and-emulate', guests })) };
      },
      /"a" 256 MiB, "b" 256 MiB, "c" 256 MiB, "d" 256 MiB, "e" 256 MiB.*more than the simulated machine's 1 GiB/,
    ],
    [
      'four guests of 256 MiB (no room left for the hypervisor)',
      () => {
        file('hi.g32', '_start: hlt\n');
        const guests = ['a', 'b', 'c', 'd'].map((name) => ({ name, program: 'hi.g32', memory: 256 * 1024 * 1024 }));
        return { program: file('four.json', JSON.stringify({ virtualization: 'trap-and-emulate', guests })) };
      },
      /the guests' memory \("a" 256 MiB, "b" 256 MiB, "c" 256 MiB, "d" 256 MiB\) plus 1028 KiB for the hypervisor adds up to 1049604 KiB, more than the simulated machine's 1 GiB: give the guests less memory/,
    ],
  ];
  for (const [what, args, message] of cases) {
    it(`refuses ${what} with a message`, async () => {
      await client.initializeRequest();
      await assert.rejects(client.launchRequest(args()), (e: Error) => {
        assert.match(e.message, message);
        return true;
      });
    });
  }
});
