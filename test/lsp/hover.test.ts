import * as assert from 'node:assert';
import { Hover, MarkupContent } from 'vscode-languageserver';
import { hover } from '../../src/lsp/features/hover';
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

  it('shows a label\'s address and where it is defined', () => {
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
