// Why `--compare` found no divergence: not only that the setting matched bare
// hardware, but how it did so with the guest's sensitive instructions, which
// are what breaks plain trap-and-emulate (popf, pushf, mov rd, evt).

import { MachineEvent } from '../machine/events';
import { VirtualSystem } from './system';

type Mnemonic = Extract<MachineEvent, { kind: 'sensitive' }>['mnemonic'];

/** Sensitive instructions the real CPU ran, by mnemonic and mode (translated code runs none of them). */
export class SensitiveTally {
  readonly counts = new Map<Mnemonic, { user: number; kernel: number }>();

  attach(system: VirtualSystem): void {
    system.events.on((event) => {
      if (event.kind !== 'sensitive') return;
      const count = this.counts.get(event.mnemonic) ?? { user: 0, kernel: 0 };
      if (event.isUser) count.user++;
      else count.kernel++;
      this.counts.set(event.mnemonic, count);
    });
  }

  total(mode: 'user' | 'kernel' | 'both'): number {
    let sum = 0;
    for (const c of this.counts.values()) sum += mode === 'user' ? c.user : mode === 'kernel' ? c.kernel : c.user + c.kernel;
    return sum;
  }

  /** "popf 3, pushf 1" */
  breakdown(mode: 'user' | 'kernel' | 'both'): string {
    const parts = [...this.counts].map(([m, c]) => [m, mode === 'user' ? c.user : mode === 'kernel' ? c.kernel : c.user + c.kernel] as const).filter(([, n]) => n > 0);
    return parts.map(([m, n]) => `${m} ${n}`).join(', ');
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Lines that say why `system` (the non-bare side, run to its end) agreed with bare hardware. */
export function explainAgreement(system: VirtualSystem, tally: SensitiveTally): string[] {
  const c = system.counters();
  const hv = system.hypervisor;
  if (!c || !hv) return [];
  const setting = hv.config.virtualization;
  const native = tally.total('both');
  const nativeText = native > 0 ? ` (${tally.breakdown('both')})` : '';
  switch (setting) {
    case 'binary-translation': {
      // Translated kernel code hands sensitive instructions to the hypervisor; the CPU's tally is what ran natively.
      const translated = c.sensitiveInstructions - native;
      return [
        `why: binary translation interpreted the guest kernel's code until a block was hot and translated the hot ones (${plural(c.translations, 'block')} translated): ` +
          `${plural(translated, 'sensitive instruction')} in pretend kernel mode, interpreted or translated, became calls into the hypervisor, which gave each its bare-hardware effect on the virtual IF and evt; ` +
          `${native} ran natively in pretend user mode${nativeText}, where real user mode behaves as bare hardware would.`,
      ];
    }
    case 'hardware-assist':
      return [
        `why: under hardware assist the guest kernel runs in real kernel mode (guest mode), so its ${plural(native, 'sensitive instruction')}${nativeText} behaved exactly as on bare hardware with no exit; ` +
          `the hypervisor saw only ${plural(c.hwExits, 'exit')} (hlt ${c.hwExitsHlt}, port I/O ${c.hwExitsIo}, memory-mapped I/O ${c.hwExitsMmio}, cr3 ${c.hwExitsCr3}, vmcall ${c.hwExitsVmcall}, page fault ${c.hwExitsPageFault}, interrupt injection ${c.hwExitsInterrupt}).`,
      ];
    case 'paravirtual':
      if (c.hypercalls === 0) return explainTrapAndEmulate(c.privilegedEmulated, native, nativeText);
      return [
        `why: the paravirtual guest kernel asks the hypervisor with ${plural(c.hypercalls, 'hypercall')} instead of running sensitive instructions; ` +
          `${plural(native, 'sensitive instruction')} ran${nativeText}${tally.total('kernel') > 0 ? '' : ', none of them in pretend kernel mode'}.`,
      ];
    default:
      return explainTrapAndEmulate(c.privilegedEmulated, native, nativeText);
  }
}

function explainTrapAndEmulate(emulated: number, sensitive: number, breakdown: string): string[] {
  return [
    sensitive === 0
      ? `why: the guest ran no sensitive instruction (pushf, popf, mov rd, evt)${emulated === 0 ? ' and no privileged one' : `; its ${plural(emulated, 'privileged instruction')} all trapped and were emulated`}.`
      : `why: the guest ran ${plural(sensitive, 'sensitive instruction')}${breakdown} without trapping, but none of them read or changed state that differs from bare hardware this time (IF, evt); ${plural(emulated, 'privileged instruction')} trapped and were emulated.`,
  ];
}
