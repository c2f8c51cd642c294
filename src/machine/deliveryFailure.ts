// Why an exception could not be delivered (g32-isa.md §4): the push of the trap
// frame or the read of the handler's address from `evt` failed. Recorded only on
// that failure path, so it costs nothing while deliveries succeed, and turned
// into a sentence that names the kernel's likely mistake (a zero or unmapped
// `ksp`, `sp` or `evt`) for double faults, triple faults and bus errors.

import { hexWord } from './format';
import { Vector, VECTOR_NAMES } from './isa';

export interface DeliveryFailure {
  vector: number;
  /** pc of the interrupted instruction. */
  pc: number;
  /** The access that failed: a push of the trap frame, or the read of evt[vector]. */
  step: 'push' | 'vector-table';
  /** Virtual address of the failed access (physical when paging is off). */
  address: number;
  /** The interrupted code ran in user mode, so the frame went on the kernel stack (ksp). */
  isFromUser: boolean;
  /** Top of the stack the frame was pushed on: ksp from user mode, sp from kernel mode. */
  stack: number;
  evt: number;
  /** The access reached no RAM and no device (paging off, or a mapping to nothing). */
  isBusError: boolean;
}

function vectorName(vector: number): string {
  return `${VECTOR_NAMES[vector] ?? `vector ${vector}`}${vector === Vector.UD ? ' (an undefined instruction, or vmcall with no hypervisor to take it)' : ''}`;
}

/** One sentence: what failed and the likely mistake in the kernel. */
export function explainDeliveryFailure(f: DeliveryFailure): string {
  const what = `delivering ${vectorName(f.vector)} from pc ${hexWord(f.pc)}`;
  const where = f.isBusError ? 'is neither RAM nor a device' : 'is not mapped writable for the kernel';
  if (f.step === 'push') {
    if (f.isFromUser && f.stack === 0) {
      return `${what}: ksp is 0 — the kernel never set its stack with \`mov ksp, …\`, so the trap frame went just below address 0 (${hexWord(f.address)}), which ${where}`;
    }
    if (f.isFromUser) return `${what}: the kernel stack (ksp = ${hexWord(f.stack)}) ${where} at ${hexWord(f.address)} — point ksp (\`mov ksp, …\`) at mapped, writable kernel memory`;
    if (f.stack === 0) {
      return `${what}: sp is 0 in kernel mode, where the trap frame goes on the current stack, so it went just below address 0 (${hexWord(f.address)}), which ${where} — set a stack with \`mov sp, …\` first`;
    }
    return `${what}: the current stack (sp = ${hexWord(f.stack)}) ${where} at ${hexWord(f.address)}`;
  }
  const reach = f.isBusError ? 'is neither RAM nor a device' : 'is not mapped for the kernel';
  if (f.evt === 0) return `${what}: evt is 0 — the kernel never set its vector table with \`mov evt, …\`, and evt[${f.vector}] at ${hexWord(f.address)} ${reach}`;
  return `${what}: the vector table entry evt[${f.vector}] at ${hexWord(f.address)} (evt = ${hexWord(f.evt)}) ${reach}`;
}
