// Finds the machine's reference beside the running server, so hovers can link
// to it: the server runs as dist/lsp.js in the installed extension (whose
// .vsix ships docs/*.md) or as out/src/lsp/*.js in a checkout, so the docs
// folder is the first `docs/` holding machine.md above this file.

import * as fs from 'fs';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { ReferenceDocs, headingLines } from './features/referenceLinks';

const MAX_LEVELS_UP = 5;

export function loadReferenceDocs(startFolder: string = __dirname): ReferenceDocs | undefined {
  let folder = startFolder;
  for (let level = 0; level <= MAX_LEVELS_UP; level++) {
    const docs = path.join(folder, 'docs');
    try {
      const machine = fs.readFileSync(path.join(docs, 'machine.md'), 'utf8');
      const isa = fs.existsSync(path.join(docs, 'isa.md')) ? fs.readFileSync(path.join(docs, 'isa.md'), 'utf8') : '';
      return { folderUri: pathToFileURL(docs + path.sep).href, headingLines: { 'machine.md': headingLines(machine), 'isa.md': headingLines(isa) } };
    } catch {
      // not here: look one folder up
    }
    const parent = path.dirname(folder);
    if (parent === folder) break;
    folder = parent;
  }
  return undefined;
}
