// Reads the repository's documents the way a reader follows them: every
// relative Markdown link must reach a file of the repository (and, with a
// `#fragment`, a heading of it), and no document may send the reader outside
// the repository. Shared by the link test and the hover test (which checks
// that hover links land on real headings).

import * as fs from 'node:fs';
import * as path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '../../..');

/**
 * Names of material outside the repository (the course's own copy of the
 * machine's specification); no document may carry them. Spelled in pieces so
 * that searching the repository for them finds only documents that break the rule.
 */
export const SPEC_FILE_NAME = ['g32', 'isa.md'].join('-');
export const SPEC_FOLDER = ['shared', 'spec'].join('/');
export const OUTSIDE_NAMES: readonly RegExp[] = [new RegExp(SPEC_FOLDER, 'i'), new RegExp(SPEC_FILE_NAME.replace('.', '\\.'), 'i')];

/** The documents a reader of the repository follows, as paths relative to `root`. */
export function documentFiles(root: string): string[] {
  const files: string[] = [];
  for (const top of ['README.md', 'ARCHITECTURE.md', 'CHANGELOG.md']) {
    if (fs.existsSync(path.join(root, top))) files.push(top);
  }
  // Every text file under these folders: guest sources and their comments are read as documentation too.
  for (const folder of ['docs', 'examples', 'labs', 'media']) files.push(...walk(root, folder, /\.(md|g32|json)$/));
  files.push(...walk(root, 'src', /\.md$/));
  return files;
}

function walk(root: string, folder: string, pattern: RegExp): string[] {
  const full = path.join(root, folder);
  if (!fs.existsSync(full)) return [];
  const found: string[] = [];
  for (const entry of fs.readdirSync(full, { withFileTypes: true })) {
    const relative = path.posix.join(folder, entry.name);
    if (entry.isDirectory()) found.push(...walk(root, relative, pattern));
    else if (pattern.test(entry.name)) found.push(relative);
  }
  return found.sort();
}

/** Text with fenced code blocks and inline code spans blanked out (links inside code are not links). */
function withoutCode(text: string): string {
  const blank = (match: string): string => match.replace(/[^\n]/g, ' ');
  return text.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, blank).replace(/`[^`\n]*`/g, blank);
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
export function slugOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** Every anchor a Markdown file offers: its headings (with GitHub's -1, -2 for repeats) and explicit ids. */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  const text = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
  for (const match of text.matchAll(/^#{1,6}\s+(.*?)\s*#*\s*$/gm)) {
    const slug = slugOf(match[1]);
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  for (const match of text.matchAll(/\b(?:id|name)="([^"]+)"/g)) anchors.add(match[1]);
  return anchors;
}

export interface DocumentLink {
  file: string;
  line: number;
  target: string;
}

/** Inline links and images (`[text](target)`, `![alt](target)`) and reference definitions (`[x]: target`). */
export function linksOf(file: string, markdown: string): DocumentLink[] {
  const text = withoutCode(markdown);
  const links: DocumentLink[] = [];
  const lineAt = (index: number): number => text.slice(0, index).split('\n').length;
  for (const match of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) links.push({ file, line: lineAt(match.index), target: match[1] });
  for (const match of text.matchAll(/^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/gm)) links.push({ file, line: lineAt(match.index), target: match[1] });
  return links;
}

/** What is wrong with one link, or undefined when it leads somewhere real inside the repository. */
export function linkProblem(root: string, link: DocumentLink): string | undefined {
  const { target } = link;
  if (/^file:/i.test(target)) return `links to a file: URI (${target}), which leaves the repository`;
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return undefined; // https:, mailto:, command: ...
  const [rawPath, fragment] = splitFragment(target);
  if (rawPath.startsWith('/')) return `links to the absolute path ${rawPath}, outside the repository`;
  let resolved: string;
  try {
    resolved = rawPath === '' ? path.join(root, link.file) : path.resolve(path.join(root, path.dirname(link.file)), decodeURIComponent(rawPath));
  } catch {
    return `has a link that cannot be decoded: ${target}`;
  }
  const relative = path.relative(root, resolved);
  if (relative.startsWith('..') || path.isAbsolute(relative)) return `links to ${rawPath}, outside the repository`;
  if (!fs.existsSync(resolved)) return `links to ${rawPath}, which does not exist (resolved to ${relative})`;
  if (fragment !== undefined && /\.md$/i.test(resolved)) {
    const anchors = anchorsOf(fs.readFileSync(resolved, 'utf8'));
    if (!anchors.has(fragment)) return `links to #${fragment} in ${relative}, which has no such heading`;
  }
  return undefined;
}

function splitFragment(target: string): [string, string | undefined] {
  const hash = target.indexOf('#');
  return hash < 0 ? [target, undefined] : [target.slice(0, hash), target.slice(hash + 1)];
}

/** Every problem of every document under `root`, one line each (`FILE:LINE: ...`). */
export function documentProblems(root: string): string[] {
  const problems: string[] = [];
  for (const file of documentFiles(root)) {
    const text = fs.readFileSync(path.join(root, file), 'utf8');
    text.split('\n').forEach((lineText, index) => {
      for (const name of OUTSIDE_NAMES) {
        if (name.test(lineText)) problems.push(`${file}:${index + 1}: names ${name.source.replace(/\\/g, '')}, which is outside the repository`);
      }
    });
    if (!file.endsWith('.md')) continue;
    for (const link of linksOf(file, text)) {
      const problem = linkProblem(root, link);
      if (problem) problems.push(`${file}:${link.line}: ${problem}`);
    }
  }
  return problems;
}
