// The one list of the settings a run is chosen by (`virtualization`, `paging`,
// `kernelShadows`), with the words users see for each. The command line, the
// launch.json schema (scripts/package-manifest.mjs reads the compiled copy of
// this file), the launch-configuration checks, the Run view's dropdown and the
// language server's hover all read it, and `settingName` is the one place a
// combination is written as text.

export const VIRTUALIZATIONS = ['none', 'trap-and-emulate', 'paravirtual', 'binary-translation', 'hardware-assist'] as const;
export type Virtualization = (typeof VIRTUALIZATIONS)[number];
export const PAGING_SETTINGS = ['shadow-on-demand', 'shadow-proactive', 'nested'] as const;
export type PagingSetting = (typeof PAGING_SETTINGS)[number];
export const KERNEL_SHADOWS = ['separate', 'flush-on-switch'] as const;
export type KernelShadows = (typeof KERNEL_SHADOWS)[number];

export interface SettingText {
  /** Short name for menus, e.g. "binary translation". */
  label: string;
  /** One or two sentences for the launch.json schema. */
  description: string;
}

export const VIRTUALIZATION_TEXT: Readonly<Record<Virtualization, SettingText>> = {
  none: {
    label: 'bare hardware',
    description: 'Bare hardware: the guest kernel runs in real kernel mode. The reference every other setting is compared with.',
  },
  'trap-and-emulate': {
    label: 'trap-and-emulate',
    description: 'The guest kernel runs in real user mode; privileged instructions trap and the hypervisor emulates them, exceptions are reflected to the guest.',
  },
  paravirtual: {
    label: 'paravirtual',
    description: 'As trap-and-emulate, and the guest may also call the hypervisor with `vmcall N` (hypercalls).',
  },
  'binary-translation': {
    label: 'binary translation',
    description: 'Guest kernel code is translated block by block; privileged and sensitive instructions become calls into the hypervisor.',
  },
  'hardware-assist': {
    label: 'hardware assist',
    description: 'The CPU has a guest mode: the guest kernel runs in real kernel mode on its own state; hlt, in/out and vmcall (and, with shadow paging, cr3 loads and invlpg) exit to the hypervisor.',
  },
};

export const PAGING_TEXT: Readonly<Record<PagingSetting, SettingText>> = {
  'shadow-on-demand': {
    label: 'on-demand shadow paging',
    description: 'Shadow page tables filled on hidden page faults and dropped on every guest cr3 load or invlpg.',
  },
  'shadow-proactive': {
    label: 'proactive shadow paging',
    description: 'One cached shadow per guest page directory; guest page-table pages are write-protected and shadows updated on writes.',
  },
  nested: {
    label: 'nested paging',
    description: 'The hardware walks the guest page table and then the guest-physical to machine map (hardware-assist only).',
  },
};

export const KERNEL_SHADOWS_TEXT: Readonly<Record<KernelShadows, SettingText>> = {
  separate: {
    label: 'separate kernel and user shadows',
    description: 'One shadow for pretend-kernel mode and one for pretend-user mode.',
  },
  'flush-on-switch': {
    label: 'one shadow flushed on mode switches',
    description: 'One shadow, flushed whenever the guest switches between pretend-kernel and pretend-user mode.',
  },
};

export const DEFAULT_VIRTUALIZATION: Virtualization = 'none';
export const DEFAULT_KERNEL_SHADOWS: KernelShadows = 'separate';

/** A combination of the three settings, as launch.json and the command line give it (paging and kernelShadows may be left to their defaults). */
export interface Setting {
  virtualization: Virtualization;
  paging?: PagingSetting;
  kernelShadows?: KernelShadows;
}

/** `nested` for hardware assist, `shadow-on-demand` for the rest, unless chosen. */
export function defaultPaging(setting: Pick<Setting, 'virtualization' | 'paging'>): PagingSetting {
  return setting.paging ?? (setting.virtualization === 'hardware-assist' ? 'nested' : 'shadow-on-demand');
}

/** The combination as every message shows it: "none", "hardware-assist / nested", "trap-and-emulate / shadow-on-demand / separate". */
export function settingName(setting: Setting): string {
  if (setting.virtualization === 'none') return 'none';
  const paging = defaultPaging(setting);
  if (setting.virtualization === 'hardware-assist') return `${setting.virtualization} / ${paging}`;
  return `${setting.virtualization} / ${paging} / ${setting.kernelShadows ?? DEFAULT_KERNEL_SHADOWS}`;
}
