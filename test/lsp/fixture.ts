// Builds what a feature function receives from a few inline files: the files
// are assembled from the first one (or `main`), and `<|>` in one of them marks
// the cursor. Nothing here touches the disk.

import { Position } from 'vscode-languageserver';
import { assemble } from '../../src/asm';
import { AnalyzedDocument } from '../../src/lsp/features/analysis';

export const CURSOR = '<|>';

export interface Fixture {
  document: AnalyzedDocument;
  position: Position;
  /** Texts without the cursor mark, by path. */
  texts: Map<string, string>;
}

export function uriOf(file: string): string {
  return `file://${file}`;
}

/** `files` maps absolute paths to texts; the file holding `<|>` is the document (else the main file). */
export function fixture(files: Record<string, string>, options: { main?: string } = {}): Fixture {
  const texts = new Map<string, string>();
  let openFile: string | undefined;
  let position: Position = { line: 0, character: 0 };
  for (const [file, text] of Object.entries(files)) {
    const index = text.indexOf(CURSOR);
    if (index >= 0) {
      openFile = file;
      const before = text.slice(0, index).split('\n');
      position = { line: before.length - 1, character: before[before.length - 1].length };
    }
    texts.set(file, text.replace(CURSOR, ''));
  }
  const main = options.main ?? Object.keys(files)[0];
  const file = openFile ?? main;
  const result = assemble(main, { readFile: (path) => texts.get(path) });
  return { document: { file, text: texts.get(file)!, result, uriOf }, position, texts };
}

/** One file at /p/main.g32. */
export function single(text: string): Fixture {
  return fixture({ '/p/main.g32': text });
}
