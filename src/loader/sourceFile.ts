// The one way hyperstep reads a source file, a machine description or a cost
// model from disk: regular files only, at most MAX_SOURCE_FILE_BYTES, and when
// a file is refused the caller gets the reason to show. A cloned repository can
// hold `.include "/dev/zero"`, a link to a device or a named pipe; reading
// those would fill memory or block forever, so the file is checked before it
// is opened (and again through the open descriptor) and read with a bound.

import * as fs from 'fs';
import type { SourceRead } from '../asm';

import { MAX_SOURCE_FILE_BYTES, tooLarge } from './sourceLimit';

export { MAX_SOURCE_FILE_BYTES };

/** The text of a regular file of at most `limit` bytes (UTF-8), or why it cannot be read. */
export function readSourceFile(file: string, limit = MAX_SOURCE_FILE_BYTES): SourceRead {
  let stats: fs.Stats;
  try {
    // stat follows symbolic links: a link to /dev/zero is a character device here.
    stats = fs.statSync(file);
  } catch (error) {
    return { error: describeErrno(error) };
  }
  if (!stats.isFile()) return { error: `not a regular file (${describeKind(stats)})` };
  if (stats.size > limit) return { error: tooLarge(stats.size, limit) };
  let fd: number;
  try {
    // O_NONBLOCK: if the path was swapped for a named pipe since the stat, opening it does not wait for a writer.
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  } catch (error) {
    return { error: describeErrno(error) };
  }
  try {
    const opened = fs.fstatSync(fd);
    if (!opened.isFile()) return { error: `not a regular file (${describeKind(opened)})` };
    // Some regular files (under /proc, say) report size 0 and have content: read up to one byte past the limit.
    const buffer = Buffer.alloc(Math.min(limit + 1, Math.max(opened.size + 1, 64 * 1024)));
    let length = 0;
    let chunk = buffer;
    for (;;) {
      if (length === chunk.length) {
        if (chunk.length > limit) return { error: tooLarge(undefined, limit) };
        const grown = Buffer.alloc(Math.min(limit + 1, chunk.length * 2));
        chunk.copy(grown, 0, 0, length);
        chunk = grown;
      }
      const count = fs.readSync(fd, chunk, length, chunk.length - length, null);
      if (count === 0) break;
      length += count;
    }
    if (length > limit) return { error: tooLarge(undefined, limit) };
    return { text: chunk.toString('utf8', 0, length) };
  } catch (error) {
    return { error: describeErrno(error) };
  } finally {
    fs.closeSync(fd);
  }
}

/** For callers that only need the text: undefined when the file is refused. */
export function readSourceText(file: string): string | undefined {
  const read = readSourceFile(file);
  return 'text' in read ? read.text : undefined;
}

function describeKind(stats: fs.Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isFIFO()) return 'a named pipe';
  if (stats.isSocket()) return 'a socket';
  return 'not a file';
}

function describeErrno(error: unknown): string {
  switch ((error as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return 'no such file';
    case 'ENOTDIR':
      return 'a part of the path is not a folder';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'not a regular file (a directory)';
    case 'ELOOP':
      return 'too many levels of symbolic links';
    case 'ENAMETOOLONG':
      return 'the path is too long';
    default:
      return (error as Error).message ?? String(error);
  }
}
