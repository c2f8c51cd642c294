// Hover for `.g32` files: an instruction (what it does, its forms, its class and
// what the hypervisor does with it under each setting), a directive, a
// register, or a label or `.equ` name (its value and where it is defined).
// Names are resolved by the assembler; the instruction prose comes from
// instructionDocs.ts. Instructions, registers and directives end with a link
// to their section of the machine's reference (referenceLinks.ts).

import * as path from 'path';
import { Hover, MarkupContent, MarkupKind, Position, Range } from 'vscode-languageserver';
import { DIRECTIVES, MNEMONICS, OpInfo, REGISTER_NAMES } from '../../machine/isa';
import { AnalyzedDocument, documentLine, symbolAt } from './analysis';
import { hexWord } from '../../machine/format';
import { NamedSymbol } from './definitionIndex';
import { VIRTUALIZATIONS, describeAccess, describeClass, formSyntax, formsOf, hypervisorBehaviour } from './instructionDocs';
import { Word, codeEnd, statementShape, wordAt } from './lineText';
import { ASSEMBLY_LANGUAGE, OPCODE_TABLE, ReferenceDocs, instructionSection, referenceLine, registerSection } from './referenceLinks';

export interface HoverOptions {
  /** False when the client only renders plain text. */
  isMarkdown: boolean;
  /** Where the reference docs are; without them hovers carry no reference link. */
  reference?: ReferenceDocs;
}

export function hover(document: AnalyzedDocument, position: Position, options: HoverOptions = { isMarkdown: true }): Hover | null {
  const lineText = documentLine(document, position.line);
  const shape = statementShape(lineText);
  const word = wordAt(lineText, position.character);
  if (!word || word.start >= codeEnd(lineText)) return null;
  const range = Range.create(position.line, word.start, position.line, word.end);
  const isHead = shape.head !== undefined && shape.head.start === word.start;
  const lower = word.text.toLowerCase();

  if (isHead && MNEMONICS.includes(lower)) {
    return { contents: markup(instructionHover(lower, shape.operands, options), options), range };
  }
  if (isHead && DIRECTIVES.includes(lower)) {
    return { contents: markup(directiveHover(lower, options), options), range };
  }
  if (!isHead && REGISTER_NAMES.includes(lower)) {
    return { contents: markup(registerHover(lower, options), options), range };
  }
  const found = symbolAt(document, position);
  if (found?.symbol) {
    return { contents: markup(symbolHover(document, found.symbol, options), options), range: found.range };
  }
  return null;
}

function markup(value: string, options: HoverOptions): MarkupContent {
  return { kind: options.isMarkdown ? MarkupKind.Markdown : MarkupKind.PlainText, value };
}

function code(text: string, options: HoverOptions): string {
  return options.isMarkdown ? `\`${text}\`` : text;
}

function bold(text: string, options: HoverOptions): string {
  return options.isMarkdown ? `**${text}**` : text;
}

/** Text for an instruction; `operands` (as written on the line) pick the form being hovered when they can. */
export function instructionHover(mnemonic: string, operands: readonly Word[], options: HoverOptions): string {
  const forms = formsOf(mnemonic);
  const matched = matchForm(
    forms,
    operands.map((operand) => operand.text),
  );
  const main = matched ?? forms[0];
  const parts: string[] = [];
  const alias = main.mnemonic === mnemonic ? '' : ` (alias of ${code(main.mnemonic, options)})`;
  parts.push(`${bold(code(formSyntax(main), options), options)}${alias} — ${describeClass(main.cls)}`);
  parts.push(main.summary);
  const access = describeAccess(main);
  if (access) parts.push(access);
  if (forms.length > 1) {
    const lines = forms.map((form) => {
      const cls = form.cls === 'ordinary' ? '' : ` (${form.cls})`;
      return `- ${code(formSyntax(form), options)}${cls}: ${form.summary}`;
    });
    parts.push(`Forms:\n${lines.join('\n')}`);
  }
  const behaviour = hypervisorBehaviour(main);
  const reference = referenceLine(options.reference, [instructionSection(main), OPCODE_TABLE], options.isMarkdown);
  const title = `Under the hypervisor (${code('virtualization', options)}), ${code(formSyntax(main), options)}:`;
  if (options.isMarkdown) {
    const rows = VIRTUALIZATIONS.map((setting) => `| \`${setting}\` | ${escapeCell(behaviour[setting])} |`);
    parts.push(`${title}\n\n| setting | what happens |\n| --- | --- |\n${rows.join('\n')}`);
  } else {
    parts.push(`${title}\n${VIRTUALIZATIONS.map((setting) => `- ${setting}: ${behaviour[setting]}`).join('\n')}`);
  }
  if (reference) parts.push(reference);
  return parts.join('\n\n');
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

type OperandShape = 'reg' | 'imm' | 'cr3' | 'evt' | 'ksp' | 'mem-reg' | 'mem-disp' | 'mem-abs';

const GENERAL_REGISTER = /^(r(1[0-5]|[0-9])|sp)$/i;

/** The shape of an operand as written, enough to tell the forms of one mnemonic apart. */
function operandShape(text: string): OperandShape {
  const lower = text.trim().toLowerCase();
  if (GENERAL_REGISTER.test(lower)) return 'reg';
  if (lower === 'cr3' || lower === 'evt' || lower === 'ksp') return lower;
  if (lower.startsWith('[')) {
    const inner = lower.replace(/^\[/, '').replace(/\]$/, '').trim();
    if (GENERAL_REGISTER.test(inner)) return 'mem-reg';
    const base = /^(r(1[0-5]|[0-9])|sp)\s*[+-]/.exec(inner);
    return base ? 'mem-disp' : 'mem-abs';
  }
  return 'imm';
}

function matchForm(forms: readonly OpInfo[], operands: readonly string[]): OpInfo | undefined {
  const shapes = operands.map(operandShape);
  return forms.find(
    (form) =>
      form.operands.length === shapes.length &&
      form.operands.every((kind, index) => {
        const shape = shapes[index];
        switch (kind) {
          case 'ra':
          case 'rb':
            return shape === 'reg';
          case 'imm':
            return shape === 'imm';
          case 'mem':
            return shape === `mem-${form.mem}`;
          default:
            return shape === kind;
        }
      }),
  );
}

const DIRECTIVE_DOCS: Readonly<Record<string, [string, string]>> = {
  '.org': ['.org ADDR', 'Place the following code at physical address ADDR. It may only move forward, and names it uses must be defined on earlier lines.'],
  '.align': ['.align N', 'Pad with zeros to a multiple of N (a power of two). Names it uses must be defined on earlier lines.'],
  '.word': ['.word e, ...', 'Emit 32-bit little-endian words.'],
  '.byte': ['.byte e, ...', 'Emit bytes (0 to 255, or -128 to -1).'],
  '.ascii': ['.ascii "s"', 'Emit the bytes of a string, without a terminator.'],
  '.asciz': ['.asciz "s"', 'Emit the bytes of a string followed by a zero byte.'],
  '.space': ['.space N[, fill]', 'Emit N bytes of fill (default 0). Names it uses must be defined on earlier lines.'],
  '.equ': ['.equ NAME, expr', 'Define NAME as the value of expr; a constant, not an address.'],
  '.entry': ['.entry LABEL', 'Start execution at LABEL instead of `_start`.'],
  '.include': ['.include "file.g32"', 'Assemble another file here; the path is relative to the including file.'],
};

function directiveHover(directive: string, options: HoverOptions): string {
  const [syntax, text] = DIRECTIVE_DOCS[directive] ?? [directive, ''];
  return withReference(`${bold(code(syntax, options), options)} — directive\n\n${text}`, referenceLine(options.reference, [ASSEMBLY_LANGUAGE], options.isMarkdown));
}

const REGISTER_DOCS: Readonly<Record<string, string>> = {
  r0: 'General register r0. A hypercall (`vmcall N`) returns its result here.',
  r1: 'General register r1. First hypercall argument.',
  r2: 'General register r2. Second hypercall argument.',
  r15: 'General register r15, also called `sp`: the stack pointer used by push, pop, call, ret and exception delivery.',
  sp: 'The stack pointer: another name for `r15`. Used by push, pop, call, ret and exception delivery.',
  pc: 'The program counter (a virtual address while paging is on). Not an operand of any instruction.',
  flags: 'The flags: bit 0 CF, bit 1 ZF, bit 2 SF, bit 3 OF, bit 9 IF (interrupts enabled). Read with the sensitive `pushf`, written with the sensitive `popf`.',
  cr3: 'Physical address of the page directory; 0 means paging off. `mov cr3, rs` and `mov rd, cr3` are privileged; loading it flushes the whole TLB. Under shadow paging the real cr3 points at the shadow page table.',
  evt: "Virtual address of the exception vector table (256 handler addresses). `mov evt, rs` is privileged, but `mov rd, evt` is sensitive: it reads the real evt in any mode, so a guest under trap-and-emulate sees the hypervisor's table.",
  ksp: 'Kernel stack pointer loaded when an exception arrives in user mode. `mov ksp, rs` and `mov rd, ksp` are privileged.',
};

function registerHover(register: string, options: HoverOptions): string {
  const text = REGISTER_DOCS[register] ?? `General register ${register} (32 bits).`;
  return withReference(`${bold(code(register, options), options)} — register\n\n${text}`, referenceLine(options.reference, [registerSection(register)], options.isMarkdown));
}

function withReference(text: string, reference: string | undefined): string {
  return reference ? `${text}\n\n${reference}` : text;
}

function symbolHover(document: AnalyzedDocument, symbol: NamedSymbol, options: HoverOptions): string {
  // A name typed since the last assembly has a place but no value yet.
  const value = symbol.value === undefined ? undefined : symbol.value >>> 0;
  const shown = value === undefined ? ' (value after the next assembly)' : undefined;
  const parts: string[] = [];
  switch (symbol.kind) {
    case 'label':
      parts.push(`${bold(code(symbol.displayName, options), options)} — label${shown ?? ` at ${code(hexWord(value!), options)} (${value})`}`);
      break;
    case 'local-label': {
      const parent = symbol.name.slice(0, symbol.name.length - symbol.displayName.length);
      const owner = parent ? ` of ${code(parent, options)}` : '';
      parts.push(`${bold(code(symbol.displayName, options), options)} — local label${owner}${shown ?? ` at ${code(hexWord(value!), options)} (${value})`}`);
      break;
    }
    case 'equ':
      parts.push(`${bold(code(symbol.displayName, options), options)} — .equ constant${shown ?? ` = ${code(hexWord(value!), options)} (${value})`}`);
      break;
  }
  const where = `${path.basename(symbol.file)}:${symbol.line}`;
  const link = options.isMarkdown ? `[${where}](${document.uriOf(symbol.file)}#L${symbol.line})` : where;
  parts.push(`Defined at ${link}`);
  return parts.join('\n\n');
}
