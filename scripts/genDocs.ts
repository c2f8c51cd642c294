// `npm run gen:docs`: rewrites every figure the documents quote from the tool
// (the Markdown files at the root and under docs/, examples/ and labs/, and
// the comments of the .g32 files under examples/ and labs/, between
// `<!-- gen:SPEC -->` and `<!-- /gen -->`; scripts/docFigures.ts says what
// each SPEC computes). In a .g32 file every line a figure spans is a comment,
// so the assembler never sees one.
// `--check` rewrites nothing and exits 1 naming every figure that disagrees
// with the tool (test/docs/generatedDocs.test.ts runs it that way).

import * as fs from 'fs';
import * as path from 'path';
import { figure } from './docFigures';
import { ROOT } from './demoTable';

const MARKED = /<!-- gen:([^>]*?) -->([\s\S]*?)<!-- \/gen -->/g;

export interface Stale {
  file: string;
  spec: string;
  found: string;
  expected: string;
}

/** A figure in a .g32 comment: every line it starts (after its first) must be a comment too. */
function isCommentOnly(value: string): boolean {
  return value
    .split('\n')
    .slice(1)
    .every((line) => line.startsWith(';'));
}

/** The text with every marked figure recomputed, and the figures that differed. `isInComments`: the text is a .g32 file's. */
export function regenerate(text: string, compute: (spec: string) => string = figure, isInComments = false): { text: string; stale: Array<Omit<Stale, 'file'>> } {
  const stale: Array<Omit<Stale, 'file'>> = [];
  const cache = new Map<string, string>();
  const updated = text.replace(MARKED, (_whole, spec: string, found: string) => {
    let expected = cache.get(spec);
    if (expected === undefined) {
      expected = compute(spec);
      cache.set(spec, expected);
    }
    if (isInComments && !(isCommentOnly(expected) && isCommentOnly(found))) throw new Error(`${spec}: a figure in a source file may span comment lines only`);
    if (found !== expected) stale.push({ spec, found, expected });
    return `<!-- gen:${spec} -->${expected}<!-- /gen -->`;
  });
  return { text: updated, stale };
}

function filesEndingWith(extension: string, dir: string, isRecursive = true): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return isRecursive ? filesEndingWith(extension, full) : [];
    return entry.name.endsWith(extension) ? [full] : [];
  });
}

const DOCUMENT_FOLDERS = ['docs', 'examples', 'labs'];
const SOURCE_FOLDERS = ['examples', 'labs'];

/**
 * Every file that may quote the tool: .g32 sources first, because
 * docs/paravirtual.md quotes their text (the os-pv patch), then Markdown.
 */
export function documentFiles(root = ROOT): string[] {
  return [
    ...SOURCE_FOLDERS.flatMap((dir) => filesEndingWith('.g32', path.join(root, dir))),
    ...filesEndingWith('.md', root, false),
    ...DOCUMENT_FOLDERS.flatMap((dir) => filesEndingWith('.md', path.join(root, dir))),
  ];
}

/** Regenerates (or, with isCheck, only compares) every document; returns the stale figures. */
export function generateDocs(isCheck: boolean, root = ROOT): Stale[] {
  const stale: Stale[] = [];
  for (const file of documentFiles(root)) {
    const text = fs.readFileSync(file, 'utf8');
    if (!text.includes('<!-- gen:')) continue;
    const result = regenerate(text, figure, file.endsWith('.g32'));
    stale.push(...result.stale.map((s) => ({ ...s, file: path.relative(root, file) })));
    if (!isCheck && result.text !== text) fs.writeFileSync(file, result.text);
  }
  return stale;
}

if (require.main === module) {
  const isCheck = process.argv.includes('--check');
  const stale = generateDocs(isCheck);
  for (const s of stale) {
    const show = (text: string) => (text.includes('\n') ? `(${text.split('\n').length} lines)` : JSON.stringify(text));
    process.stdout.write(`${s.file}: ${s.spec}: ${isCheck ? 'says' : 'said'} ${show(s.found)}, the tool gives ${show(s.expected)}\n`);
  }
  if (isCheck && stale.length > 0) {
    process.stdout.write(`${stale.length} figure(s) disagree with the tool; run npm run gen:docs\n`);
    process.exitCode = 1;
  } else if (!isCheck) process.stdout.write(`${stale.length} figure(s) updated\n`);
}
