// The one file reader: regular files only, at most MAX_SOURCE_FILE_BYTES, with
// the reason a file is refused. Devices, links to them and named pipes are
// refused from their metadata, without a read (a pipe would block forever).

import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MAX_SOURCE_FILE_BYTES, readSourceFile } from '../../src/loader/sourceFile';

describe('loader: readSourceFile', () => {
  let directory = '';

  before(() => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'hyperstep-source-'));
  });

  after(() => {
    fs.rmSync(directory, { recursive: true, force: true });
  });

  it('reads a regular file', () => {
    const file = path.join(directory, 'ok.g32');
    fs.writeFileSync(file, '_start: hlt ; é\n');
    assert.deepEqual(readSourceFile(file), { text: '_start: hlt ; é\n' });
  });

  it('refuses /dev/zero and a link to it as a character device', () => {
    const link = path.join(directory, 'zero.g32');
    fs.symlinkSync('/dev/zero', link);
    assert.deepEqual(readSourceFile('/dev/zero'), { error: 'not a regular file (a character device)' });
    assert.deepEqual(readSourceFile(link), { error: 'not a regular file (a character device)' });
  });

  it('refuses a named pipe without waiting for a writer', () => {
    const fifo = path.join(directory, 'pipe.g32');
    execFileSync('mkfifo', [fifo]);
    assert.deepEqual(readSourceFile(fifo), { error: 'not a regular file (a named pipe)' });
  });

  it('refuses a folder and says when a file is missing', () => {
    assert.deepEqual(readSourceFile(directory), { error: 'not a regular file (a directory)' });
    assert.deepEqual(readSourceFile(path.join(directory, 'nope.g32')), { error: 'no such file' });
  });

  it('refuses a file over the size limit from its size, and reads one at the limit', () => {
    const big = path.join(directory, 'big.g32');
    // A sparse file: its size is known without writing 50 MB.
    fs.closeSync(fs.openSync(big, 'w'));
    fs.truncateSync(big, 50_000_000);
    assert.deepEqual(readSourceFile(big), { error: 'larger than the 4 MiB limit for source files (50000000 bytes)' });
    fs.truncateSync(big, MAX_SOURCE_FILE_BYTES);
    const read = readSourceFile(big);
    assert.ok('text' in read);
    assert.equal(read.text.length, MAX_SOURCE_FILE_BYTES);
  });

  it('stops reading a file that reports size 0 but has more than the limit (as /proc files do)', () => {
    assert.equal(fs.statSync('/proc/self/status').size, 0);
    assert.deepEqual(readSourceFile('/proc/self/status', 64), { error: 'larger than the 64-byte limit for source files (more than 64 bytes)' });
    const small = path.join(directory, 'small.g32');
    fs.writeFileSync(small, 'x'.repeat(100));
    assert.deepEqual(readSourceFile(small, 10), { error: 'larger than the 10-byte limit for source files (100 bytes)' });
  });
});
