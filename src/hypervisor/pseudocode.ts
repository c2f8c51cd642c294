// The hypervisor's trap handler as readable pseudocode, in the style of the
// course slides' `trap(...)`. The debugger shows this text as a read-only source
// and steps through the lines the handler actually took (recorded as line ids).

export const PSEUDOCODE_LINES = [
  ['entry', "trap(tf) {  // tf = the guest's saved context: registers, pc, flags"],
  ['check-gp', '  if (exception_type == PROTECTION_FAULT && guest in pretend kernel mode) {'],
  ['decode', '    instr = decode(guest_memory[tf->pc]);  // interpret machine code!'],
  ['emulate-if', '    if (instr is cli / sti)      virtual_IF = (instr == sti);'],
  ['emulate-io', '    else if (instr is in / out)  tf->regs[instr.rd] = emulated_device(instr.port) / emulated_device(instr.port) = value;'],
  ['emulate-cr3', '    else if (instr is mov cr3)   { guest_cr3 = value; switch_shadow_page_table(); }'],
  ['emulate-invlpg', '    else if (instr is invlpg)    invalidate_shadow(address);'],
  ['emulate-special', '    else if (instr moves evt / ksp / cr3) guest_evt, guest_ksp or tf->regs[instr.rd] = ...;'],
  [
    'emulate-iret',
    '    else if (instr is iret)      { pop pc, flags, mode, sp from the guest stack; pretend_mode = mode; virtual_IF = flags.IF; switch_shadow_page_table(); }  // back to USER: real cr3 = the user shadow',
  ],
  ['emulate-hlt', '    else if (instr is hlt)       wait_for_virtual_interrupt();'],
  ['advance', '    tf->pc += instr.length;  // one guest tick'],
  ['return', '    return_to_guest(tf);'],
  ['check-pf', '  } else if (exception_type == PAGE_FAULT) {'],
  ['walk', '    walk = walk_guest_page_table(fault_address, pretend_mode);  // sets the guest A/D bits'],
  ['pf-reflect', '    if (walk faulted)               reflect(PAGE_FAULT, walk.error_code, fault_address);  // guest-visible'],
  ['pf-mmio', '    else if (walk.gpa is a device page) { emulate_memory_instruction(decode(tf->pc)); tf->pc += length; }'],
  ['pf-protected', '    else if (walk.gpa holds a shadowed page table) { emulate_write(decode(tf->pc)); update_every_affected_shadow(); }'],
  ['pf-fill', '    else shadow[fault_address] = hypervisor_map[walk.gpa];  // hidden page fault: fill and retry'],
  ['pf-return', '    return_to_guest(tf);'],
  ['check-vmcall', '  } else if (exception_type == INVALID_OPCODE && instr is vmcall && paravirtual) {'],
  ['hypercall', '    tf->regs[0] = hypercall(instr.number, tf->regs[1], tf->regs[2]); tf->pc += 8;'],
  ['reflect-start', '  } else {  // reflect: system calls, other faults, protection faults in pretend user mode, interrupts'],
  ['reflect-stack', '    stack = (pretend_mode == USER) ? guest_ksp : tf->sp;'],
  ['reflect-push', '    push old sp, old mode, flags (virtual IF), pc, error code, address on that stack;'],
  ['reflect-enter', '    pretend_mode = KERNEL; virtual_IF = 0; switch_shadow_page_table();'],
  ['reflect-jump', '    tf->pc = guest_evt[exception_number];'],
  ['reflect-return', '    return_to_guest(tf);'],
  ['end', '  }'],
  ['close', '}'],
] as const;

export type PseudocodeLine = (typeof PSEUDOCODE_LINES)[number][0];

export const PSEUDOCODE_TEXT = PSEUDOCODE_LINES.map(([, text]) => text).join('\n') + '\n';

/** 1-based line number of a pseudocode line id. */
export function pseudocodeLineNumber(id: PseudocodeLine): number {
  return PSEUDOCODE_LINES.findIndex(([lineId]) => lineId === id) + 1;
}
