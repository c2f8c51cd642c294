// Snapshots of the whole hypervisor (for step back): machine memory, the real
// CPU, the frame pool, and each guest's view of the CPU, devices, shadows and
// translations. A snapshot is taken with every guest's context saved.

import { CpuState, StopReason } from '../machine/cpu';
import { DeviceState } from '../machine/devices/bus';
import type { TranslationCacheState } from './binaryTranslate/cache';
import { CostCounters } from './costs';
import type { Guest } from './guest';
import type { Hypervisor, PendingTrap } from './hypervisor';

export interface HypervisorState {
  memory: Uint8Array;
  cpu: CpuState;
  pool: number[];
  current: number;
  pendingTrap: PendingTrap | undefined;
  guests: Array<{
    isPretendUser: boolean;
    virtualIF: boolean;
    cr3: number;
    evt: number;
    ksp: number;
    saved: Guest['saved'];
    stopReason: StopReason | undefined;
    stopDetail: string;
    retiredAtModeChange: number;
    sliceEnd: number;
    counters: CostCounters;
    devices: DeviceState;
    shadow: unknown;
    /** Under binary translation: the translation cache. */
    translations?: TranslationCacheState;
  }>;
}

/** Everything a later `loadState` needs to put the whole system back. */
export function saveState(hv: Hypervisor): HypervisorState {
  hv.leave(hv.current);
  return {
    memory: hv.memory.bytes.slice(),
    cpu: hv.cpu.saveState(),
    pool: hv.pool.saveState(),
    current: hv.current.id,
    pendingTrap: hv.pendingTrap && { ...hv.pendingTrap },
    guests: hv.guests.map((g) => ({
      isPretendUser: g.isPretendUser,
      virtualIF: g.virtualIF,
      cr3: g.cr3,
      evt: g.evt,
      ksp: g.ksp,
      saved: { ...g.saved, regs: g.saved.regs.slice() },
      stopReason: g.stopReason,
      stopDetail: g.stopDetail,
      retiredAtModeChange: g.retiredAtModeChange,
      sliceEnd: g.sliceEnd,
      counters: { ...g.counters },
      devices: g.devices.saveState(),
      shadow: g.shadow.saveState(),
      translations: g.translator?.cache.save(),
    })),
  };
}

export function loadState(hv: Hypervisor, state: HypervisorState): void {
  hv.memory.bytes.set(state.memory);
  hv.memory.invalidateAllDecoded();
  hv.pool.loadState(state.pool);
  state.guests.forEach((s, i) => {
    const g = hv.guests[i];
    g.isPretendUser = s.isPretendUser;
    g.virtualIF = s.virtualIF;
    g.cr3 = s.cr3;
    g.evt = s.evt;
    g.ksp = s.ksp;
    g.saved = { ...s.saved, regs: s.saved.regs.slice() };
    g.stopReason = s.stopReason;
    g.stopDetail = s.stopDetail;
    g.retiredAtModeChange = s.retiredAtModeChange;
    g.sliceEnd = s.sliceEnd;
    Object.assign(g.counters, s.counters);
    g.devices.loadState(s.devices);
    g.shadow.loadState(s.shadow);
    // Translations are derived from memory and the shadows' write protection: they go back with them.
    if (g.translator && s.translations) g.translator.cache.restore(s.translations);
  });
  hv.cpu.loadState(state.cpu);
  hv.current = hv.guests[state.current];
  hv.pendingTrap = state.pendingTrap && { ...state.pendingTrap };
  hv.pendingGuestDelivery = undefined;
}
