import * as assert from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hover, MarkupContent } from 'vscode-languageserver';
import { hover } from '../../src/lsp/features/hover';
import { allSections } from '../../src/lsp/features/referenceLinks';
import { loadReferenceDocs } from '../../src/lsp/referenceDocs';
import { REPO_ROOT, anchorsOf, slugOf } from '../docs/markdownLinks';
import { fixture, single } from './fixture';

function text(result: Hover | null): string {
  assert.ok(result, 'expected a hover');
  return (result.contents as MarkupContent).value;
}

describe('hover', () => {
  it('explains a sensitive instruction and what each setting does with it', () => {
    const { document, position } = single('_start:\n  po<|>pf\n  hlt\n');
    const value = text(hover(document, position));
    assert.match(value, /sensitive, NOT privileged/);
    assert.match(value, /pop flags/);
    for (const setting of ['none', 'trap-and-emulate', 'paravirtual', 'binary-translation', 'hardware-assist']) assert.ok(value.includes(`\`${setting}\``), setting);
    assert.match(value, /does NOT trap/i);
  });

  it('says what memory the hovered form reads or writes, from the opcode table', () => {
    assert.match(text(hover(single('_start:\n  s<|>tb [r1], r2\n').document, { line: 1, character: 3 })), /Memory: writes 1 byte at the address\./);
    assert.match(text(hover(single('_start:\n  c<|>all r4\n').document, { line: 1, character: 3 })), /Memory: writes 4 bytes \(the return address\) at sp - 4, then sp -= 4\./);
    assert.match(text(hover(single('_start:\n  i<|>ret\n').document, { line: 1, character: 3 })), /Memory: reads 16 bytes at sp into pc, flags, mode and sp, then sp \+= 16\./);
    // lea computes an address without touching memory.
    assert.doesNotMatch(text(hover(single('_start:\n  l<|>ea r1, [r2]\n').document, { line: 1, character: 3 })), /Memory:/);
  });

  it('picks the form of mov from its operands', () => {
    const loadCr3 = text(hover(single('_start:\n  m<|>ov cr3, r1\n').document, { line: 1, character: 3 }));
    assert.match(loadCr3, /\*\*`mov cr3, rs`\*\* — privileged/);
    assert.match(loadCr3, /vmcall 3/);
    const readEvt = text(hover(single('_start:\n  mov r2, evt\n').document, { line: 1, character: 3 }));
    assert.match(readEvt, /\*\*`mov rd, evt`\*\* — sensitive/);
    assert.match(readEvt, /hypervisor's vector table/);
    const plain = text(hover(single('_start:\n  MOV r2, 5\n').document, { line: 1, character: 3 }));
    assert.match(plain, /\*\*`mov rd, imm`\*\* — ordinary/);
    assert.match(plain, /Forms:/);
    assert.match(plain, /`mov cr3, rs` \(privileged\)/);
  });

  it('explains a privileged instruction', () => {
    const { document, position } = single('_start: c<|>li\n');
    const value = text(hover(document, position));
    assert.match(value, /privileged: #GP in user mode/);
    assert.match(value, /raises #GP; the hypervisor sees pretend kernel mode, and the instruction is emulated: the hypervisor clears the guest's virtual IF\./);
    assert.match(value, /vmcall 1/);
  });

  it('can answer in plain text', () => {
    const { document, position } = single('_start: c<|>li\n');
    const result = hover(document, position, { isMarkdown: false });
    assert.strictEqual((result!.contents as MarkupContent).kind, 'plaintext');
    assert.ok(!text(result).includes('**'));
    assert.match(text(result), /- trap-and-emulate: /);
  });

  it("shows a label's address and where it is defined", () => {
    const { document, position } = single('_start:\n  jmp ne<|>xt\n  nop\nnext:\n  hlt\n');
    const result = hover(document, position);
    const value = text(result);
    assert.match(value, /`next`\*\* — label at `0x0000000c` \(12\)/);
    assert.match(value, /main\.g32:4/);
    assert.deepStrictEqual(result!.range, { start: { line: 1, character: 6 }, end: { line: 1, character: 10 } });
  });

  it('shows an .equ value and a local label of an included file', () => {
    const { document, position } = fixture({
      '/p/main.g32': '.equ CONSOLE, 0xFFFF0000\n_start:\n  call puts\n.include "lib.g32"\n',
      '/p/lib.g32': 'puts:\n  st [CONS<|>OLE], r0\n.done:\n  jmp .done\n',
    });
    assert.match(text(hover(document, position)), /`CONSOLE`\*\* — \.equ constant = `0xffff0000` \(4294901760\)/);
    const local = text(hover(document, { line: 3, character: 8 }));
    assert.match(local, /`\.done`\*\* — local label of `puts`/);
    assert.match(local, /lib\.g32:3/);
  });

  it('explains registers and directives', () => {
    assert.match(text(hover(single('_start: mov r1, e<|>vt\n').document, { line: 0, character: 17 })), /sensitive/);
    assert.match(text(hover(single('_start: push s<|>p\n').document, { line: 0, character: 14 })), /r15/);
    assert.match(text(hover(single('.eq<|>u X, 1\n_start: hlt\n').document, { line: 0, character: 2 })), /\.equ NAME, expr/);
  });

  it('has nothing to say about comments and unknown words', () => {
    assert.strictEqual(hover(single('_start: hlt ; stop<|> here\n').document, { line: 0, character: 16 }), null);
    assert.strictEqual(hover(single('_start: hlt\n\n').document, { line: 1, character: 0 }), null);
  });
});

describe('hover: links to the machine reference', () => {
  const reference = loadReferenceDocs(__dirname);
  const LINK = /\[docs\/(machine|isa)\.md: ([^\]]+)\]\((file:[^)#]+)#L(\d+)\)/g;

  /** Each link of a hover, checked to open its file at the heading it names. */
  function links(value: string): Array<{ file: string; title: string }> {
    const found = [...value.matchAll(LINK)];
    assert.ok(found.length > 0, `no reference link in:\n${value}`);
    return found.map((match) => {
      const file = fileURLToPath(match[3]);
      assert.ok(fs.existsSync(file), `${file} exists`);
      assert.strictEqual(path.relative(REPO_ROOT, file), path.join('docs', `${match[1]}.md`));
      const line = fs.readFileSync(file, 'utf8').split('\n')[Number(match[4]) - 1];
      assert.ok(line !== undefined && /^#+ /.test(line) && anchorsOf(line).has(slugOf(match[2])), `line ${match[4]} of ${match[1]}.md is the heading "${match[2]}" (it is ${JSON.stringify(line)})`);
      return { file: match[1], title: match[2] };
    });
  }

  const hoverText = (source: string, line: number, character: number): string => text(hover(single(source).document, { line, character }, { isMarkdown: true, reference }));

  it('finds the docs of this checkout', () => {
    assert.ok(reference, 'docs/machine.md found above the compiled tests');
  });

  it('ends an instruction hover with its section and the opcode table', () => {
    const value = hoverText('_start:\n  cli\n', 1, 3);
    assert.deepStrictEqual(links(value), [
      { file: 'machine', title: 'Privileged instructions' },
      { file: 'isa', title: 'Opcode table' },
    ]);
    assert.ok(value.trimEnd().endsWith(')'), 'the link is the last thing');
    assert.deepStrictEqual(links(hoverText('_start:\n  popf\n', 1, 3))[0], { file: 'machine', title: 'Sensitive instructions' });
    assert.deepStrictEqual(links(hoverText('_start:\n  vmcall 3\n', 1, 3))[0], { file: 'machine', title: 'Hypercalls' });
    assert.deepStrictEqual(links(hoverText('_start:\n  add r1, 2\n', 1, 3))[0], { file: 'machine', title: 'Arithmetic and logic' });
  });

  it('ends register and directive hovers with their section', () => {
    assert.deepStrictEqual(links(hoverText('_start: mov r1, evt\n', 0, 17)), [{ file: 'machine', title: 'Exceptions and interrupts' }]);
    assert.deepStrictEqual(links(hoverText('_start: mov cr3, r1\n', 0, 13)), [{ file: 'machine', title: 'Paging' }]);
    assert.deepStrictEqual(links(hoverText('.equ X, 1\n_start: hlt\n', 0, 2)), [{ file: 'machine', title: 'Assembly language' }]);
  });

  it('links only to headings that exist', () => {
    for (const target of allSections()) {
      const markdown = fs.readFileSync(path.join(REPO_ROOT, 'docs', target.file), 'utf8');
      assert.ok(anchorsOf(markdown).has(target.anchor), `docs/${target.file}#${target.anchor}`);
    }
  });

  it('gives plain-text clients the URI, and no link when the docs are not found', () => {
    const plain = text(hover(single('_start: cli\n').document, { line: 0, character: 9 }, { isMarkdown: false, reference }));
    assert.match(plain, /Reference: docs\/machine\.md: Privileged instructions <file:\/\/[^>]+machine\.md#L\d+>/);
    assert.doesNotMatch(text(hover(single('_start: cli\n').document, { line: 0, character: 9 })), /Reference:/);
  });
});
