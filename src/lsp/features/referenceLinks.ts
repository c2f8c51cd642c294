// Which section of the machine's reference (docs/machine.md, docs/isa.md)
// explains what the cursor is on, and the link a hover ends with. Hover text
// is rendered by the editor, where a relative link resolves to nothing, so the
// link is an absolute `file:` URI into the docs shipped beside the server,
// with `#L<line>` pointing at the section's heading: VS Code opens a file
// link with that fragment at that line. The server finds the docs
// (../referenceDocs.ts); this file only decides.

import { OpInfo } from '../../machine/isa';

export type ReferenceFile = 'machine.md' | 'isa.md';

export interface ReferenceSection {
  file: ReferenceFile;
  /** The heading's anchor, as GitHub spells it. */
  anchor: string;
  /** The heading's text, for the link's label. */
  title: string;
}

/** The docs folder as a `file:` URI (ending in `/`) and the line (1-based) of each heading of each file, by anchor. */
export interface ReferenceDocs {
  folderUri: string;
  headingLines: Readonly<Record<ReferenceFile, ReadonlyMap<string, number>>>;
}

const section = (file: ReferenceFile, title: string): ReferenceSection => ({ file, anchor: slugOf(title), title });

export const OPCODE_TABLE = section('isa.md', 'Opcode table');
export const ASSEMBLY_LANGUAGE = section('machine.md', 'Assembly language');

const MOVES = section('machine.md', 'Moves and memory');
const ARITHMETIC = section('machine.md', 'Arithmetic and logic');
const CONTROL = section('machine.md', 'Control flow');
const TRAPS = section('machine.md', 'Traps');
const HYPERCALLS = section('machine.md', 'Hypercalls');
const PRIVILEGED = section('machine.md', 'Privileged instructions');
const SENSITIVE = section('machine.md', 'Sensitive instructions');
const TRAP_FRAME = section('machine.md', 'The trap frame');

/**
 * The section that explains an instruction form: its class first (privileged,
 * sensitive), then its group as the opcode table describes it: what sets the
 * flags is arithmetic; what moves a value (operands, no jump) is a move.
 */
export function instructionSection(info: OpInfo): ReferenceSection {
  if (info.mnemonic === 'iret') return TRAP_FRAME;
  if (info.cls === 'privileged') return PRIVILEGED;
  if (info.cls === 'sensitive') return SENSITIVE;
  if (info.mnemonic === 'vmcall') return HYPERCALLS;
  if (info.mnemonic === 'syscall' || info.mnemonic === 'brk') return TRAPS;
  if (info.flags === 'write') return ARITHMETIC;
  if (!info.endsBlock && info.operands.length > 0) return MOVES;
  return CONTROL;
}

const REGISTER_SECTIONS: Readonly<Record<string, ReferenceSection>> = {
  flags: section('machine.md', 'The flags register'),
  cr3: section('machine.md', 'Paging'),
  evt: section('machine.md', 'Exceptions and interrupts'),
  ksp: TRAP_FRAME,
};

export function registerSection(register: string): ReferenceSection {
  return REGISTER_SECTIONS[register] ?? section('machine.md', 'Registers and modes');
}

/** Every section a hover can link to, for the test that checks each heading exists. */
export function allSections(): ReferenceSection[] {
  return [OPCODE_TABLE, ASSEMBLY_LANGUAGE, MOVES, ARITHMETIC, CONTROL, TRAPS, HYPERCALLS, PRIVILEGED, SENSITIVE, TRAP_FRAME, ...Object.values(REGISTER_SECTIONS), registerSection('r0')];
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
export function slugOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The line (1-based) of each heading of a Markdown text, by anchor; headings inside code blocks do not count. */
export function headingLines(markdown: string): Map<string, number> {
  const lines = new Map<string, number>();
  let fence: string | undefined;
  markdown.split('\n').forEach((text, index) => {
    const fenceMark = /^(```|~~~)/.exec(text)?.[1];
    if (fenceMark) fence = fence === fenceMark ? undefined : (fence ?? fenceMark);
    if (fence || fenceMark) return;
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(text);
    if (heading && !lines.has(slugOf(heading[1]))) lines.set(slugOf(heading[1]), index + 1);
  });
  return lines;
}

/** The `file:` URI of a section: at its heading's line when known, else at its anchor. */
export function sectionUri(docs: ReferenceDocs, target: ReferenceSection): string {
  const line = docs.headingLines[target.file].get(target.anchor);
  return `${docs.folderUri}${target.file}#${line !== undefined ? `L${line}` : target.anchor}`;
}

/** The closing line of a hover: links to the sections, or nothing when the docs were not found. */
export function referenceLine(docs: ReferenceDocs | undefined, targets: readonly ReferenceSection[], isMarkdown: boolean): string | undefined {
  if (!docs) return undefined;
  const links = targets.map((target) => {
    const label = `docs/${target.file}: ${target.title}`;
    return isMarkdown ? `[${label}](${sectionUri(docs, target)})` : `${label} <${sectionUri(docs, target)}>`;
  });
  return `Reference: ${links.join(' · ')}`;
}
