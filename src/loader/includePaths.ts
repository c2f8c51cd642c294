// Include paths as the local file system spells them (backslashes and drive
// letters on Windows), for the assembler, which imports nothing from Node.

import * as path from 'path';
import type { IncludePaths } from '../asm';

export const nodeIncludePaths: IncludePaths = {
  resolve: (fromFile, includePath) => (path.isAbsolute(includePath) ? includePath : path.join(path.dirname(fromFile), includePath)),
  normalize: (file) => path.normalize(file),
};
