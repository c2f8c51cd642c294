// docs/paravirtual.md shows the patch that turns examples/os into
// examples/os-pv: `diff -ru examples/os examples/os-pv` (the diffutils tool),
// without timestamps, taken on copies of the two trees whose generated
// figures are shown as a reader sees them (the marks of scripts/genDocs.ts
// removed); and counts its lines.

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ROOT } from './demoTable';

/** A source as its reader sees it: a mark alone on a comment line goes with its line, others leave their value. */
export function withoutMarks(text: string): string {
  return text.replace(/^; <!-- (gen:[^>]*?|\/gen) -->\n/gm, '').replace(/<!-- gen:[^>]*? -->([\s\S]*?)<!-- \/gen -->/g, '$1');
}

function copyWithoutMarks(from: string, to: string): void {
  fs.mkdirSync(to, { recursive: true });
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    if (entry.isDirectory()) copyWithoutMarks(path.join(from, entry.name), path.join(to, entry.name));
    else fs.writeFileSync(path.join(to, entry.name), withoutMarks(fs.readFileSync(path.join(from, entry.name), 'utf8')));
  }
}

let patch: string | undefined;

export function pvPatch(): string {
  if (patch !== undefined) return patch;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hyperstep-pv-patch-'));
  try {
    for (const tree of ['os', 'os-pv']) copyWithoutMarks(path.join(ROOT, 'examples', tree), path.join(work, 'examples', tree));
    const result = spawnSync('diff', ['-ru', 'examples/os', 'examples/os-pv'], { cwd: work, encoding: 'utf8' });
    // diff exits 1 when the trees differ, 2 on trouble.
    if (result.status !== 1) throw new Error(`diff -ru examples/os examples/os-pv: ${result.error?.message ?? result.stderr}`);
    patch = result.stdout.replace(/^((?:---|\+\+\+) \S+)\t.*$/gm, '$1');
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
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
