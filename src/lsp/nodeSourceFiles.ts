// The disk, for the language server run by Node (`hyperstep-lsp`).

import * as fs from 'fs';
import * as path from 'path';
import { readSourceText } from '../loader/sourceFile';
import type { SourceFiles } from './sourceFiles';

export const nodeSourceFiles: SourceFiles = {
  readFile(file) {
    if (!path.isAbsolute(file)) return undefined;
    // Regular files of bounded size only: a sibling that is a named pipe or a link to /dev/zero is skipped, not read.
    return readSourceText(file);
  },
  listG32Files(folder) {
    try {
      return fs
        .readdirSync(folder)
        .filter((name) => name.toLowerCase().endsWith('.g32'))
        .map((name) => path.join(folder, name));
    } catch {
      return [];
    }
  },
};
