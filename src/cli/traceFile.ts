// `--trace FILE`: every machine and hypervisor event as one JSON line, written
// while the run goes (buffered in a small chunk), so memory stays flat however
// long the run. The file is created before the run starts: a missing folder is
// reported at once, not after an hour of running.

import * as fs from 'fs';
import * as path from 'path';

export interface TraceSink {
  /** One line of JSON text, newline included. */
  write(line: string): void;
  /** Writes what is buffered and closes; returns the first write error, if any. */
  close(): string | undefined;
}

/** Characters buffered before a write: large enough for few system calls, small enough to be flat. */
const CHUNK_CHARACTERS = 64 * 1024;

export class TraceFileError extends Error {}

export function openTraceFile(file: string): TraceSink {
  let fd: number;
  try {
    fd = fs.openSync(file, 'w');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? `no such folder ${path.dirname(path.resolve(file))}`
        : code === 'EISDIR'
          ? 'it is a folder'
          : code === 'EACCES' || code === 'EPERM'
            ? 'permission denied'
            : (e as Error).message;
    throw new TraceFileError(`cannot write the trace to ${file}: ${why}`);
  }
  let pending: string[] = [];
  let pendingCharacters = 0;
  let error: string | undefined;
  const flush = (): void => {
    if (pending.length === 0 || error !== undefined) return;
    const bytes = Buffer.from(pending.join(''));
    pending = [];
    pendingCharacters = 0;
    try {
      let offset = 0;
      while (offset < bytes.length) offset += fs.writeSync(fd, bytes, offset);
    } catch (e) {
      error = (e as Error).message;
    }
  };
  return {
    write(line) {
      if (error !== undefined) return;
      pending.push(line);
      pendingCharacters += line.length;
      if (pendingCharacters >= CHUNK_CHARACTERS) flush();
    },
    close() {
      flush();
      fs.closeSync(fd);
      return error;
    },
  };
}
