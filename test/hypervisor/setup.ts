// Shared set-up for the hypervisor tests: assemble a program once, build a
// system under any setting, run it, and read what the guest can see.

import * as fs from 'fs';
import * as path from 'path';
import { assemble, assembleText, Image } from '../../src/asm';
import { createSystem, GuestView, SETTING_CHOICES, SystemOptions, VirtualSystem } from '../../src/hypervisor/system';
import { TimedInput } from '../../src/machine/devices/keyboard';
import { RunResult } from '../../src/machine/machine';

export const REPO = path.resolve(__dirname, '../../..');

export type Setting = Pick<SystemOptions, 'virtualization' | 'paging' | 'kernelShadows' | 'translationThreshold' | 'isAdaptiveTranslation'>;

export const BARE: Setting = { virtualization: 'none' };

/**
 * Binary translation's own variants: tiered translation (the default threshold)
 * or translation on first sight, each with adaptive translation on and off.
 */
export const TRANSLATION_VARIANTS: ReadonlyArray<Pick<SystemOptions, 'translationThreshold' | 'isAdaptiveTranslation'>> = [
  { translationThreshold: undefined, isAdaptiveTranslation: true },
  { translationThreshold: undefined, isAdaptiveTranslation: false },
  { translationThreshold: 1, isAdaptiveTranslation: true },
  { translationThreshold: 1, isAdaptiveTranslation: false },
];

/** Every setting this build supports besides bare hardware; binary translation in each of its variants. */
export const VIRTUAL_SETTINGS: Setting[] = SETTING_CHOICES.flatMap((s) => (s.virtualization === 'binary-translation' ? TRANSLATION_VARIANTS.map((v) => ({ ...s, ...v })) : [s]));

export function settingLabel(s: Setting): string {
  if (s.virtualization === 'none') return 'none';
  const variant =
    s.virtualization === 'binary-translation' && (s.translationThreshold !== undefined || s.isAdaptiveTranslation !== undefined)
      ? ` (${s.translationThreshold === 1 ? 'translated on first sight' : 'tiered'}, adaptive ${s.isAdaptiveTranslation === false ? 'off' : 'on'})`
      : '';
  return (s.kernelShadows ? `${s.virtualization} / ${s.paging} / ${s.kernelShadows}` : `${s.virtualization} / ${s.paging}`) + variant;
}

export function imageOfFile(relative: string): Image {
  const result = assemble(path.join(REPO, relative), { readFile: (f) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : undefined) });
  if (!result.image) throw new Error(`${relative} does not assemble: ${result.diagnostics.map((d) => d.message).join('; ')}`);
  return result.image;
}

export function imageOfText(text: string): Image {
  const result = assembleText(text);
  if (!result.image) throw new Error(`does not assemble: ${result.diagnostics.map((d) => `${d.line}:${d.column} ${d.message}`).join('; ')}\n${text}`);
  return result.image;
}

export interface Run {
  system: VirtualSystem;
  result: RunResult;
  view: GuestView;
  output: string;
}

export function run(image: Image, setting: Setting, options: { inputs?: TimedInput[]; tlbEntries?: number; maxInstructions?: number; memory?: number } = {}): Run {
  const system = createSystem({
    ...setting,
    guests: [{ name: 'guest', image, inputs: options.inputs, memory: options.memory }],
    tlbEntries: options.tlbEntries,
    maxInstructions: options.maxInstructions,
  });
  const result = system.run();
  const view = system.guest(0);
  return { system, result, view, output: Buffer.from(view.console).toString('latin1') };
}

export function input(tick: number, text: string): TimedInput {
  return { tick, bytes: Buffer.from(text, 'latin1') };
}
