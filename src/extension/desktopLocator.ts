// Programs on the desktop: `file:` documents, known to the adapter by their
// file paths, and read from the disk when they are not open.

import { readSourceFile } from '../loader/sourceFile';
import type { ProgramLocator } from './configProvider';

export const DESKTOP_LOCATOR: ProgramLocator = {
  canLaunch: (uri) => uri.scheme === 'file',
  programPath: (uri) => uri.fsPath,
  readClosedFile: (file) => {
    const read = readSourceFile(file);
    return 'text' in read ? read.text : undefined;
  },
};
