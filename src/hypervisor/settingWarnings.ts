// Settings that do nothing under the chosen virtualization. They are accepted
// (a script may pass the same options to every run) but never silently: the
// command line prints these on stderr and the debugger in its debug console.

import { Virtualization } from './system';
import { KernelShadows, PagingSetting } from './shadow/shadowPaging';

export interface GivenSettings {
  virtualization: Virtualization;
  /** Only what the user chose explicitly; undefined = left to the default. */
  paging?: PagingSetting;
  kernelShadows?: KernelShadows;
  translationThreshold?: number;
}

/** How the caller spells each setting: `--paging` on the command line, `paging` in launch.json. */
export interface SettingNames {
  paging: string;
  kernelShadows: string;
  translationThreshold?: string;
}

export const CLI_SETTING_NAMES: SettingNames = { paging: '--paging', kernelShadows: '--kernel-shadows', translationThreshold: '--translation-threshold' };
export const LAUNCH_SETTING_NAMES: SettingNames = {
  paging: "launch attribute 'paging'",
  kernelShadows: "launch attribute 'kernelShadows'",
  translationThreshold: "launch attribute 'translationThreshold'",
};

/** One sentence per setting that has no effect, saying why. */
export function ineffectiveSettingWarnings(given: GivenSettings, names: SettingNames): string[] {
  const warnings: string[] = [];
  if (given.translationThreshold !== undefined && given.virtualization !== 'binary-translation') {
    warnings.push(
      `${names.translationThreshold ?? 'translationThreshold'} ${given.translationThreshold} has no effect with virtualization ${given.virtualization}: only binary translation translates guest code`,
    );
  }
  if (given.virtualization === 'none') {
    if (given.paging !== undefined)
      warnings.push(`${names.paging} ${given.paging} has no effect with virtualization none: bare hardware walks the program's own page table, there is no shadow or nested table`);
    if (given.kernelShadows !== undefined) warnings.push(`${names.kernelShadows} ${given.kernelShadows} has no effect with virtualization none: there is no hypervisor and no shadow page table`);
    return warnings;
  }
  if (given.virtualization === 'hardware-assist' && given.kernelShadows !== undefined) {
    const paging = given.paging ?? 'nested';
    warnings.push(
      paging === 'nested'
        ? `${names.kernelShadows} ${given.kernelShadows} has no effect with hardware-assist and nested paging: the hardware walks the guest's own page table, so there are no shadows to separate`
        : `${names.kernelShadows} ${given.kernelShadows} has no effect with hardware-assist: the guest kernel runs in real kernel mode, where the CPU checks the U bits itself, so one shadow serves both modes`,
    );
  }
  return warnings;
}

/** Cost-model keys that charge for events the setting never has (their counters stay 0). */
const COST_KEYS_USED: Record<Virtualization, readonly string[]> = {
  none: ['instruction', 'tlbMiss', 'walkReference'],
  'trap-and-emulate': ['instruction', 'trap', 'emulate', 'reflect', 'shadowFill', 'shadowDrop', 'realCr3Load', 'tlbMiss', 'walkReference'],
  paravirtual: ['instruction', 'trap', 'emulate', 'reflect', 'shadowFill', 'shadowDrop', 'realCr3Load', 'tlbMiss', 'walkReference', 'hypercall'],
  'binary-translation': ['instruction', 'trap', 'emulate', 'reflect', 'shadowFill', 'shadowDrop', 'realCr3Load', 'tlbMiss', 'walkReference', 'translate'],
  'hardware-assist': ['instruction', 'emulate', 'reflect', 'shadowFill', 'shadowDrop', 'realCr3Load', 'tlbMiss', 'walkReference', 'hypercall', 'hwExit', 'nestedWalkReference'],
};

export function ineffectiveCostKeys(virtualization: Virtualization, keys: readonly string[]): string[] {
  const unused = keys.filter((key) => !COST_KEYS_USED[virtualization].includes(key));
  return unused.length === 0
    ? []
    : [`--cost-model ${unused.map((k) => `'${k}'`).join(', ')} ha${unused.length === 1 ? 's' : 've'} no effect with virtualization ${virtualization}: it never has those events`];
}
