// The costs panel's side-by-side table: the same program run to completion
// under the other settings. Runs happen in the background in slices (the
// event loop stays free, a stop is never held up), each capped at
// MAX_COMPARISON_INSTRUCTIONS, and their results are cached for the session.

import { CostsView } from '../protocol/panelMessages';
import { createSystem, settingName, SystemOptions, VirtualSystem } from '../hypervisor/system';
import { DEFAULT_KERNEL_SHADOWS } from '../hypervisor/settings';

export const MAX_COMPARISON_INSTRUCTIONS = 2_000_000;
const SLICE = 100_000;

type Comparison = CostsView['comparisons'][number];

export class CostComparisons {
  private readonly done: Comparison[] = [];
  private isStarted = false;
  private isDisposed = false;

  constructor(private readonly options: SystemOptions) {}

  /** Settings worth comparing with the current one. */
  private others(): SystemOptions[] {
    const current = settingName(this.options);
    const variants: SystemOptions[] = [];
    if (this.options.guests.length === 1) variants.push({ ...this.options, virtualization: 'none', paging: undefined, kernelShadows: undefined });
    for (const paging of ['shadow-on-demand', 'shadow-proactive'] as const) {
      variants.push({ ...this.options, virtualization: 'trap-and-emulate', paging, kernelShadows: this.options.kernelShadows ?? DEFAULT_KERNEL_SHADOWS });
    }
    return variants.filter((v) => settingName(v) !== current);
  }

  results(): Comparison[] {
    this.start();
    return [...this.done];
  }

  start(): void {
    if (this.isStarted) return;
    this.isStarted = true;
    const queue = this.others();
    let system: VirtualSystem | undefined;
    const step = (): void => {
      if (this.isDisposed) return;
      try {
        if (!system) {
          const next = queue.shift();
          if (!next) return;
          system = createSystem({ ...next, isInteractive: false, maxInstructions: Math.min(next.maxInstructions ?? MAX_COMPARISON_INSTRUCTIONS, MAX_COMPARISON_INSTRUCTIONS) });
        }
        system.cpu.runUntilTick = system.cpu.ticks + SLICE;
        system.cpu.requestService();
        const result = system.run();
        if (result.reason !== 'budget') {
          this.done.push({
            setting: system.settingName + (result.reason === 'halted' ? '' : ` (${result.reason})`),
            rows: system.costRows().map(([label, value]) => ({ label, value })),
            estimatedCycles: system.estimatedCycles(),
          });
          system = undefined;
        }
      } catch {
        // A setting that cannot run this program is simply left out of the table.
        system = undefined;
      }
      setImmediate(step);
    };
    setImmediate(step);
  }

  dispose(): void {
    this.isDisposed = true;
  }
}
