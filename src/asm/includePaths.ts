// How `.include "FILE"` names become file names. The assembler does no IO and
// imports nothing from Node, so the host that reads the files says how its file
// system spells paths (loader/includePaths.ts for Node's `path`); without one,
// the assembler uses forward-slash paths, as in-memory readers and browsers do.

export interface IncludePaths {
  /** The file that `.include "includePath"` in `fromFile` names. */
  resolve(fromFile: string, includePath: string): string;
  /** One spelling per file, so that an include cycle is found however it is written. */
  normalize(file: string): string;
}

/** Forward-slash paths: `a/./b/../c` is `a/c`, an absolute include stays as written. */
export const slashIncludePaths: IncludePaths = {
  resolve(fromFile, includePath) {
    if (includePath.startsWith('/')) return includePath;
    const slash = fromFile.lastIndexOf('/');
    const folder = slash < 0 ? '.' : fromFile.slice(0, slash) || '/';
    return normalizeSlashPath(`${folder}/${includePath}`);
  },
  normalize: normalizeSlashPath,
};

function normalizeSlashPath(file: string): string {
  const isAbsolute = file.startsWith('/');
  const parts: string[] = [];
  for (const part of file.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..' && parts.length > 0 && parts[parts.length - 1] !== '..') parts.pop();
    else if (part !== '..' || !isAbsolute) parts.push(part);
  }
  const joined = parts.join('/');
  if (isAbsolute) return `/${joined}`;
  return joined || '.';
}
