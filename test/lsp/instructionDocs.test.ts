import * as assert from 'node:assert';
import { INSTRUCTIONS } from '../../src/machine/isa';
import { VIRTUALIZATIONS, documentedForms, formSyntax, formsOf, hypervisorBehaviour } from '../../src/lsp/features/instructionDocs';

describe('instructionDocs', () => {
  it('gives every privileged and sensitive form its own entry', () => {
    const documented = new Set(documentedForms());
    for (const info of INSTRUCTIONS.filter((form) => form.cls !== 'ordinary')) {
      assert.ok(documented.has(formSyntax(info)), `no entry for ${formSyntax(info)}`);
    }
  });

  it('keys every entry by a form that exists', () => {
    const forms = new Set(INSTRUCTIONS.map(formSyntax));
    for (const key of documentedForms()) assert.ok(forms.has(key), `entry for unknown form ${key}`);
  });

  it('writes each form once', () => {
    const syntaxes = INSTRUCTIONS.map(formSyntax);
    assert.strictEqual(new Set(syntaxes).size, syntaxes.length);
  });

  it('spells special-register moves as the spec does', () => {
    const syntaxes = formsOf('mov').map(formSyntax);
    assert.deepStrictEqual(syntaxes, ['mov rd, rs', 'mov rd, imm', 'mov cr3, rs', 'mov rd, cr3', 'mov evt, rs', 'mov ksp, rs', 'mov rd, ksp', 'mov rd, evt']);
  });

  it('has text for every setting of every form', () => {
    for (const info of INSTRUCTIONS) {
      const behaviour = hypervisorBehaviour(info);
      for (const setting of VIRTUALIZATIONS) assert.ok(behaviour[setting].length > 10, `${formSyntax(info)} under ${setting}`);
    }
  });

  it('says sensitive instructions do not trap under trap-and-emulate', () => {
    const popf = formsOf('popf')[0];
    assert.match(hypervisorBehaviour(popf)['trap-and-emulate'], /does NOT trap/i);
    assert.match(hypervisorBehaviour(popf)['trap-and-emulate'], /IF/);
    const readEvt = formsOf('mov').find((form) => formSyntax(form) === 'mov rd, evt')!;
    assert.match(hypervisorBehaviour(readEvt)['trap-and-emulate'], /hypervisor's vector table/);
  });

  it('says in one plain sentence what the hypervisor does with cli, and that its hypercall clears IF', () => {
    const cli = hypervisorBehaviour(formsOf('cli')[0]);
    assert.strictEqual(
      cli['trap-and-emulate'],
      "Traps: the guest kernel runs in real user mode, so it raises #GP; the hypervisor sees pretend kernel mode, and the instruction is emulated: the hypervisor clears the guest's virtual IF. In pretend user mode the #GP is reflected to the guest.",
    );
    assert.match(cli.paravirtual, /`vmcall 1` \(set IF to r1\) with r1 = 0, which clears the virtual IF/);
    assert.match(hypervisorBehaviour(formsOf('sti')[0]).paravirtual, /`vmcall 1` \(set IF to r1\) with r1 = 1, which sets the virtual IF/);
    for (const info of INSTRUCTIONS.filter((i) => i.cls === 'privileged')) {
      assert.match(hypervisorBehaviour(info)['trap-and-emulate'], /the hypervisor sees pretend kernel mode, and the instruction is emulated\b/, formSyntax(info));
    }
  });

  it('names the hypercall that replaces a privileged instruction in a PV kernel', () => {
    assert.match(hypervisorBehaviour(formsOf('cli')[0]).paravirtual, /vmcall 1/);
    const loadCr3 = formsOf('mov').find((form) => formSyntax(form) === 'mov cr3, rs')!;
    assert.match(hypervisorBehaviour(loadCr3).paravirtual, /vmcall 3/);
    assert.match(hypervisorBehaviour(formsOf('hlt')[0])['trap-and-emulate'], /#GP/);
    assert.match(hypervisorBehaviour(formsOf('hlt')[0])['binary-translation'], /translated into a call to the hypervisor/);
  });

  it('resolves aliases', () => {
    assert.strictEqual(formsOf('JE')[0].mnemonic, 'jz');
  });
});
