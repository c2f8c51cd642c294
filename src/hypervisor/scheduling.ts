// Scheduling several guests on the one real CPU: round robin in time slices of
// `quantum` ticks (a halted guest with nothing to wait for gives up the rest of
// its slice), a guest that stops leaves the others running, and the run's
// result sums up every guest's end.

import { StopReason } from '../machine/cpu';
import { describeStop, RunResult } from '../machine/machine';
import type { Guest } from './guest';

/** A stop that ends the current guest only (the others may run on), not the whole run. */
export function isGuestStop(reason: StopReason): boolean {
  return reason === 'halted' || reason === 'triple-fault' || reason === 'bus-error' || reason === 'instruction-limit' || reason === 'exception-loop';
}

/** The next runnable guest after `current`, round robin; undefined when no other guest can run. */
export function nextGuest(guests: readonly Guest[], current: Guest): Guest | undefined {
  const index = guests.indexOf(current);
  for (let step = 1; step <= guests.length; step++) {
    const next = guests[(index + step) % guests.length];
    if (next.isRunnable && next !== current) return next;
  }
  return undefined;
}

/** The run's result: with several guests, each guest's end, and the worst of them as the reason. */
export function runResult(guests: readonly Guest[], reason: StopReason, stopDetail: string): RunResult {
  if (guests.length > 1 && isGuestStop(reason)) {
    const details = guests.map((g) => `${g.name}: ${describeStop(g.stopReason ?? reason, g.stopDetail)}`);
    const worst = guests.find((g) => g.stopReason !== 'halted');
    return { reason: worst?.stopReason ?? reason, detail: details.join('; ') };
  }
  return { reason, detail: describeStop(reason, stopDetail) };
}
