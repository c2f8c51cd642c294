// docs/paravirtual.md shows the patch that turns examples/os into
// examples/os-pv as `diff -ru examples/os examples/os-pv` prints it (without
// timestamps), taken on the two trees as a reader sees them (the marks of
// scripts/genDocs.ts removed); and counts its lines.

import { structuredPatch } from 'diff';
import * as fs from 'fs';
import * as path from 'path';
import { ROOT } from './demoTable';

/** A source as its reader sees it: a mark alone on a comment line goes with its line, others leave their value. */
export function withoutMarks(text: string): string {
  return text.replace(/^; <!-- (gen:[^>]*?|\/gen) -->\n/gm, '').replace(/<!-- gen:[^>]*? -->([\s\S]*?)<!-- \/gen -->/g, '$1');
}

let patch: string | undefined;

/** Every file under `dir`, by its path relative to it, sorted. */
function filesUnder(dir: string, prefix = ''): string[] {
  return fs
    .readdirSync(path.join(dir, prefix), { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? filesUnder(dir, path.posix.join(prefix, entry.name)) : [path.posix.join(prefix, entry.name)]))
    .sort();
}

/** A hunk's range as `diff -u` writes it: the count is left out when it is 1. */
function range(start: number, lines: number): string {
  return lines === 1 ? String(start) : `${lines === 0 ? start - 1 : start},${lines}`;
}

/** The patch in the form `diff -ru examples/os examples/os-pv` prints (made here with the `diff` package, so no program is needed). */
export function pvPatch(): string {
  if (patch !== undefined) return patch;
  const trees = ['os', 'os-pv'].map((tree) => path.join(ROOT, 'examples', tree));
  const [before, after] = trees.map((tree) => new Set(filesUnder(tree)));
  const out: string[] = [];
  for (const name of [...new Set([...before, ...after])].sort()) {
    if (!after.has(name) || !before.has(name)) {
      out.push(`Only in examples/${after.has(name) ? 'os-pv' : 'os'}: ${name}`);
      continue;
    }
    const [oldText, newText] = trees.map((tree) => withoutMarks(fs.readFileSync(path.join(tree, name), 'utf8')));
    if (oldText === newText) continue;
    const { hunks } = structuredPatch(`examples/os/${name}`, `examples/os-pv/${name}`, oldText, newText, undefined, undefined, { context: 3 });
    out.push(`diff -ru examples/os/${name} examples/os-pv/${name}`, `--- examples/os/${name}`, `+++ examples/os-pv/${name}`);
    for (const hunk of hunks) out.push(`@@ -${range(hunk.oldStart, hunk.oldLines)} +${range(hunk.newStart, hunk.newLines)} @@`, ...hunk.lines);
  }
  patch = out.join('\n') + '\n';
  return patch;
}

/**
 * Lines the patch adds ('+') or removes ('-'), in every file or in FILE
 * (e.g. kernel.g32) only; `isCommentsOnly`: only lines that are whole comments.
 */
export function pvPatchLines(sign: '+' | '-', file?: string, isCommentsOnly = false): number {
  let current = '';
  let count = 0;
  for (const line of pvPatch().split('\n')) {
    if (line.startsWith('diff ')) current = line.split('/').pop() ?? '';
    if (line.startsWith('+++ ') || line.startsWith('--- ') || !line.startsWith(sign)) continue;
    if (file !== undefined && current !== file) continue;
    if (isCommentsOnly && !line.slice(1).startsWith(';')) continue;
    count++;
  }
  return count;
}
