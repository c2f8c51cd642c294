// `npm run gen:docs`: rewrites every figure the documents quote from the tool
// (docs/**/*.md and examples/**/*.md, between `<!-- gen:SPEC -->` and
// `<!-- /gen -->`; scripts/docFigures.ts says what each SPEC computes).
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

/** The text with every marked figure recomputed, and the figures that differed. */
export function regenerate(text: string, compute: (spec: string) => string = figure): { text: string; stale: Array<Omit<Stale, 'file'>> } {
  const stale: Array<Omit<Stale, 'file'>> = [];
  const cache = new Map<string, string>();
  const updated = text.replace(MARKED, (_whole, spec: string, found: string) => {
    let expected = cache.get(spec);
    if (expected === undefined) {
      expected = compute(spec);
      cache.set(spec, expected);
    }
    if (found !== expected) stale.push({ spec, found, expected });
    return `<!-- gen:${spec} -->${expected}<!-- /gen -->`;
  });
  return { text: updated, stale };
}

function markdownFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return markdownFiles(full);
    return entry.name.endsWith('.md') ? [full] : [];
  });
}

export function documentFiles(root = ROOT): string[] {
  return [...markdownFiles(path.join(root, 'docs')), ...markdownFiles(path.join(root, 'examples'))];
}

/** Regenerates (or, with isCheck, only compares) every document; returns the stale figures. */
export function generateDocs(isCheck: boolean, root = ROOT): Stale[] {
  const stale: Stale[] = [];
  for (const file of documentFiles(root)) {
    const text = fs.readFileSync(file, 'utf8');
    if (!text.includes('<!-- gen:')) continue;
    const result = regenerate(text);
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
