// docs/paravirtual.md shows the patch that turns examples/os into
// examples/os-pv: `diff -ru examples/os examples/os-pv` (the diffutils tool),
// with the timestamps and the figure marks of scripts/genDocs.ts removed, and
// counts its lines.

import { spawnSync } from 'child_process';
import { ROOT } from './demoTable';

/** `<!-- gen:SPEC -->value<!-- /gen -->` → value: what a reader of the file sees. */
function withoutMarks(text: string): string {
  return text.replace(/<!-- gen:[^>]*? -->(.*?)<!-- \/gen -->/g, '$1');
}

let patch: string | undefined;

export function pvPatch(): string {
  if (patch !== undefined) return patch;
  const result = spawnSync('diff', ['-ru', 'examples/os', 'examples/os-pv'], { cwd: ROOT, encoding: 'utf8' });
  // diff exits 1 when the trees differ, 2 on trouble.
  if (result.status !== 1) throw new Error(`diff -ru examples/os examples/os-pv: ${result.error?.message ?? result.stderr}`);
  patch = withoutMarks(result.stdout.replace(/^((?:---|\+\+\+) \S+)\t.*$/gm, '$1'));
  return patch;
}

/**
 * Lines the patch adds ('+') or removes ('-'), in every file or in FILE
 * (e.g. kernel.g32) only; `comments`: only lines that are whole comments.
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
