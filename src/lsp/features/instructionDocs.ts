// The one table of text the language server shows about G32 instructions: how
// each form is written, and what the hypervisor does with it under each
// `virtualization` setting (docs/machine.md: Instructions, Virtualization settings). Hover and completion read it;
// the facts about operands (their roles), memory access, classes and summaries
// come from `machine/isa.ts`, so this file only adds prose, never a second
// opcode table or list of mnemonics.

import { assertNever } from '../../machine/assertNever';
import { INSTRUCTIONS, InstrClass, MNEMONIC_ALIASES, OpInfo, OperandKind } from '../../machine/isa';
import { Virtualization, VIRTUALIZATIONS } from '../../hypervisor/settings';

/** The `virtualization` setting's values, from the one list (hypervisor/settings.ts). */
export { VIRTUALIZATIONS };
export type { Virtualization };

export type HypervisorBehaviour = Readonly<Record<Virtualization, string>>;

/** How a form is written, e.g. `mov rd, imm`, `ld rd, [rs + disp]`, `mov cr3, rs`, from its operands' roles. */
export function formSyntax(info: OpInfo): string {
  const operandText = (kind: OperandKind, index: number): string => {
    const role = info.roles[index];
    switch (kind) {
      case 'ra':
        if (role === 'write' || role === 'readWrite') return 'rd';
        // A register only read is `rs`, or `ra` when it is compared with a second operand (cmp, test).
        return index === 0 && info.operands.length > 1 ? 'ra' : 'rs';
      case 'rb':
        return 'rs';
      case 'imm':
        if (role === 'target') return 'target';
        if (role === 'port') return 'port';
        if (role === 'hypercall') return 'N';
        return 'imm';
      case 'mem':
        return info.mem === 'reg' ? '[rN]' : info.mem === 'disp' ? '[rN ± disp]' : '[addr]';
      case 'cr3':
      case 'evt':
      case 'ksp':
        return kind;
      default:
        return assertNever(kind, 'operand kind');
    }
  };
  const operands = info.operands.map(operandText).join(', ');
  return operands ? `${info.mnemonic} ${operands}` : info.mnemonic;
}

/** The data memory a form reads or writes, from the opcode table; undefined when it touches none. */
export function describeAccess(info: OpInfo): string | undefined {
  const access = info.access;
  const bytes = (size: number) => (size === 1 ? '1 byte' : `${size} bytes`);
  switch (access.kind) {
    case 'none':
      return undefined;
    case 'load':
      return `Memory: reads ${bytes(access.size)} at the address.`;
    case 'store':
      return `Memory: writes ${bytes(access.size)} at the address.`;
    case 'push': {
      const what = { ra: 'rs', imm: 'imm', flags: 'the flags', next: 'the return address' }[access.value];
      return `Memory: writes ${bytes(access.size)} (${what}) at sp - 4, then sp -= 4.`;
    }
    case 'pop': {
      const into = { ra: 'rd', pc: 'pc', flags: 'the flags', frame: 'pc, flags, mode and sp' }[access.into];
      return `Memory: reads ${bytes(access.size)} at sp into ${into}, then sp += ${access.size}.`;
    }
    default:
      return assertNever(access, 'memory access');
  }
}

/** Every form of a mnemonic (aliases such as `je` resolve to their canonical name). */
export function formsOf(mnemonic: string): OpInfo[] {
  const lower = mnemonic.toLowerCase();
  const canonical = MNEMONIC_ALIASES[lower] ?? lower;
  return INSTRUCTIONS.filter((info) => info.mnemonic === canonical);
}

/** The strongest class among a mnemonic's forms, for marking it in completion lists. */
export function classesOf(mnemonic: string): InstrClass[] {
  return [...new Set(formsOf(mnemonic).map((info) => info.cls))];
}

const ORDINARY: HypervisorBehaviour = {
  none: 'Runs natively.',
  'trap-and-emulate': 'Runs natively, in real user mode for guest kernel and guest user code alike; it never traps.',
  paravirtual: 'Runs natively, as under trap-and-emulate.',
  'binary-translation': 'In pretend kernel mode it is copied unchanged into the translated block; guest user code runs it directly.',
  'hardware-assist': 'Runs natively in guest mode; no exit.',
};

const MEMORY_ACCESS: HypervisorBehaviour = {
  none: 'Runs natively; a store to the console page (0xFFFF0000) prints its low byte.',
  'trap-and-emulate':
    'Runs natively through the shadow page table; a missing shadow entry is a hidden page fault (shadow fill) the guest never sees. ' +
    'A console access faults into the hypervisor, which decodes the instruction and emulates the memory-mapped I/O.',
  paravirtual: 'As under trap-and-emulate; a PV kernel can print with `vmcall 8` instead of touching the console page.',
  'binary-translation': 'Runs natively (kernel code inside translated blocks); shadow fills and console emulation as under trap-and-emulate.',
  'hardware-assist': 'Runs natively in guest mode; with `paging: nested` the hardware walks both tables, and a console access exits to the hypervisor.',
};

function reflectedTrap(vector: string): HypervisorBehaviour {
  return {
    none: `Delivers ${vector} through \`evt\` (switching to \`ksp\` from user mode).`,
    'trap-and-emulate': `Traps to the hypervisor, which reflects ${vector} to the guest's own handler through the guest's \`evt\` and \`ksp\` and sets the pretend mode to kernel.`,
    paravirtual: 'As under trap-and-emulate: the hypervisor reflects it to the guest.',
    'binary-translation': `Ends the translated block; the hypervisor delivers ${vector} to the guest's handler through the guest's \`evt\`.`,
    'hardware-assist': `Delivered in guest mode through the guest's own \`evt\`; it exits to the hypervisor only if the controls ask for it.`,
  };
}

/**
 * What the hypervisor does with each privileged or sensitive form (and the few
 * ordinary ones it handles specially), keyed by `formSyntax`. A form missing
 * here behaves as `MEMORY_ACCESS` when it loads or stores at a memory operand,
 * else as `ORDINARY`; a test checks that every privileged and sensitive form of
 * `isa.ts` has its own entry.
 */
const BEHAVIOUR: Readonly<Record<string, HypervisorBehaviour>> = {
  hlt: privileged({
    emulation: 'emulated: the hypervisor idles the guest until its next virtual interrupt, or ends the run when none can come',
    hypercall: '`vmcall 9` (idle until an interrupt)',
    translated: 'a call to the hypervisor, which idles the guest',
  }),
  cli: privileged({
    emulation: "emulated: the hypervisor clears the guest's virtual IF",
    hypercall: '`vmcall 1` (set IF to r1) with r1 = 0, which clears the virtual IF',
    translated: 'a call to the hypervisor, which clears the virtual IF',
  }),
  sti: privileged({
    emulation: "emulated: the hypervisor sets the guest's virtual IF and delivers any pending virtual interrupt",
    hypercall: '`vmcall 1` (set IF to r1) with r1 = 1, which sets the virtual IF',
    translated: 'a call to the hypervisor, which sets the virtual IF',
  }),
  'in rd, port': privileged({
    emulation: 'emulated as port I/O: the hypervisor decodes it, reads the device, writes rd and advances pc',
    hypercall: undefined,
    translated: 'a call to the hypervisor, which performs the port read',
  }),
  'out port, rs': privileged({
    emulation: 'emulated as port I/O: the hypervisor decodes it, writes the device (e.g. the timer at 0x40) and advances pc',
    hypercall: undefined,
    translated: 'a call to the hypervisor, which performs the port write',
  }),
  iret: privileged({
    emulation: "emulated: the hypervisor pops pc, flags, mode and sp from the guest's frame and switches the pretend mode",
    hypercall: '`vmcall 7` (return from exception)',
    translated: 'a call to the hypervisor, which performs the return and leaves the translated code',
  }),
  'mov cr3, rs': privileged({
    emulation: "emulated: the hypervisor records the guest's page directory, flushes the TLB and switches (or drops and rebuilds, with shadow-on-demand) the shadow page table the real cr3 points at",
    hypercall: '`vmcall 3` (set cr3 to r1)',
    translated: 'a call to the hypervisor, which switches the shadow page table',
  }),
  'mov rd, cr3': privileged({
    emulation: "emulated: rd gets the guest's cr3, never the real one (the shadow's)",
    hypercall: undefined,
    translated: "a call to the hypervisor, which returns the guest's cr3",
  }),
  'invlpg rs': privileged({
    emulation: 'emulated: the hypervisor flushes the TLB entry and, with shadow-on-demand, drops the shadow',
    hypercall: '`vmcall 4` (invlpg r1)',
    translated: 'a call to the hypervisor, which flushes the page',
  }),
  'mov evt, rs': privileged({
    emulation: "emulated: the hypervisor records the guest's vector table; the real evt stays the hypervisor's",
    hypercall: '`vmcall 5` (set evt to r1)',
    translated: "a call to the hypervisor, which records the guest's evt",
  }),
  'mov ksp, rs': privileged({
    emulation: "emulated: the hypervisor records the guest's kernel stack for reflected exceptions",
    hypercall: '`vmcall 6` (set ksp to r1)',
    translated: "a call to the hypervisor, which records the guest's ksp",
  }),
  'mov rd, ksp': privileged({
    emulation: "emulated: rd gets the guest's ksp",
    hypercall: undefined,
    translated: "a call to the hypervisor, which returns the guest's ksp",
  }),
  pushf: sensitive({
    silently:
      "Does NOT trap (sensitive, not privileged): the guest kernel runs in real user mode, so pushf pushes the real flags, whose IF is the real one, not the guest's virtual IF. CF ZF SF OF are right.",
    hypercall: '`vmcall 2` (read virtual flags); an unmodified pushf misbehaves as under trap-and-emulate',
    translated: 'a call to the hypervisor, which pushes the flags with the virtual IF',
  }),
  popf: sensitive({
    silently: "Does NOT trap (sensitive, not privileged): in real user mode popf silently leaves IF unchanged, so the guest's IF is lost and the hypervisor never learns it (see examples/popf.g32).",
    hypercall: '`vmcall 1` (set IF to r1) after restoring the other flags; an unmodified popf misbehaves as under trap-and-emulate',
    translated: 'a call to the hypervisor, which restores the flags and the virtual IF',
  }),
  'mov rd, evt': sensitive({
    silently: "Does NOT trap (sensitive, not privileged): rd gets the real evt, i.e. the hypervisor's vector table, not the guest's.",
    hypercall: undefined,
    translated: "a call to the hypervisor, which returns the guest's evt",
  }),
  syscall: reflectedTrap('the system call (vector 48)'),
  brk: reflectedTrap('the breakpoint trap (vector 3)'),
  'vmcall N': {
    none: 'Raises #UD: there is no hypervisor to call.',
    'trap-and-emulate': 'Raises #UD in real user mode; this hypervisor offers no hypercalls, so it reflects #UD to the guest as bare hardware would.',
    paravirtual:
      "The PV kernel's way to ask the hypervisor (from pretend kernel mode; arguments r1, r2, result r0): 0 version, 1 set IF, 2 read flags, 3 set cr3, 4 invlpg, 5 set evt, 6 set ksp, 7 iret, 8 console byte, 9 idle, 10 write PTE (batched when bit 0 of r1 is set).",
    'binary-translation': 'Ends the translated block and raises #UD, reflected to the guest: binary translation runs unmodified guests and offers no hypercalls.',
    'hardware-assist': 'Exits to the hypervisor, which performs hypercall N.',
  },
};

/** `hypercall` is the `vmcall` a PV kernel uses instead, or undefined when there is none (the PV kernel keeps its own copy, or uses the port as is). */
function privileged(text: { emulation: string; hypercall: string | undefined; translated: string }): HypervisorBehaviour {
  return {
    none: 'Runs natively in real kernel mode. In user mode it raises #GP.',
    'trap-and-emulate': `Traps: the guest kernel runs in real user mode, so it raises #GP; the hypervisor sees pretend kernel mode, and the instruction is ${text.emulation}. In pretend user mode the #GP is reflected to the guest.`,
    paravirtual: text.hypercall
      ? `Replaced in the PV kernel by ${text.hypercall}. Left in an unmodified kernel, it traps and is emulated as under trap-and-emulate.`
      : 'No hypercall replaces it: where the guest runs it, it traps and is emulated as under trap-and-emulate.',
    'binary-translation': `In pretend kernel mode it is translated into ${text.translated}. In guest user code it runs directly and its #GP is reflected to the guest.`,
    'hardware-assist': "The guest kernel runs it in guest mode, in real kernel mode: it exits to the hypervisor only if the controls say so, otherwise it acts on the guest's own state.",
  };
}

function sensitive(text: { silently: string; hypercall: string | undefined; translated: string }): HypervisorBehaviour {
  return {
    none: 'Runs natively in real kernel mode: the result is exact. Never faults, in any mode.',
    'trap-and-emulate': `${text.silently} The guest diverges from its bare-hardware run.`,
    paravirtual: text.hypercall
      ? `Replaced in the PV kernel by ${text.hypercall}.`
      : 'No hypercall replaces it (a PV kernel keeps its own copy); left in, it misbehaves silently as under trap-and-emulate.',
    'binary-translation': `In pretend kernel mode it is translated into ${text.translated}, so the guest sees what bare hardware shows.`,
    'hardware-assist': "Runs in guest mode, in real kernel mode, on the guest's own state (exact, as on bare hardware); it exits only if the controls say so.",
  };
}

/** What the hypervisor does with this form under each setting. */
export function hypervisorBehaviour(info: OpInfo): HypervisorBehaviour {
  const isLoadOrStore = info.access.kind === 'load' || info.access.kind === 'store';
  return BEHAVIOUR[formSyntax(info)] ?? (isLoadOrStore ? MEMORY_ACCESS : ORDINARY);
}

/** The forms that have their own entry, for the test that checks coverage. */
export function documentedForms(): string[] {
  return Object.keys(BEHAVIOUR);
}

/** A short description of a class for labels such as "privileged". */
export function describeClass(cls: InstrClass): string {
  switch (cls) {
    case 'ordinary':
      return 'ordinary';
    case 'privileged':
      return 'privileged: #GP in user mode';
    case 'sensitive':
      return 'sensitive, NOT privileged: never traps';
  }
}
