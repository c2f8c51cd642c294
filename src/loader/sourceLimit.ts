// How large a source file, machine description or cost model may be, and the
// words for one that is larger: shared by the disk reader (sourceFile.ts) and
// the browser's, which reads through `vscode.workspace.fs`.

/**
 * Largest file read, 4 MiB: far more than any G32 program (1 MiB of RAM holds at
 * most 256 Ki instructions), small enough that a mistaken path costs little.
 */
export const MAX_SOURCE_FILE_BYTES = 4 * 1024 * 1024;

/** `size` undefined: the file grew past the limit while being read. */
export function tooLarge(size: number | undefined, limit: number): string {
  return `larger than the ${formatLimit(limit)} limit for source files (${size === undefined ? `more than ${limit}` : size} bytes)`;
}

function formatLimit(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${bytes}-byte`;
}
