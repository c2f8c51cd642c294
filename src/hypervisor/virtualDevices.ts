// Each guest's virtual devices and interrupts, serviced when the CPU asks
// (Platform.service): devices advance to the guest's tick, a halted guest idles
// to the next device event (or gives up its time slice), and a pending
// interrupt with the virtual IF set goes to the guest: reflected under
// software virtualization, injected on VM entry under hardware assist.

import { Cpu, StopReason } from '../machine/cpu';
import { classifyTrap, describeTrap } from './classifyTrap';
import type { Guest } from './guest';
import { injectInterrupt } from './hardwareAssist';
import { reflect } from './reflect';
import type { TrapContext } from './trapContext';

export interface DeviceHost extends TrapContext {
  readonly config: TrapContext['config'] & { readonly isInteractive: boolean };
  /** Gives the CPU to the next runnable guest (its time slice is over, or it idles with nothing to wait for). */
  switchGuest(): void;
}

export function serviceGuest(hv: DeviceHost, cpu: Cpu, guest: Guest): StopReason | undefined {
  const devices = guest.devices;
  devices.advance(cpu.ticks);
  if (cpu.isHalted) {
    if (!guest.virtualIF) return 'halted';
    if (devices.pendingIrqs() === 0) {
      const arrival = devices.nextEventTick();
      if (arrival === Infinity && hv.guests.filter((g) => g.isRunnable).length <= 1) {
        return hv.config.isInteractive ? 'waiting-for-input' : 'halted';
      }
      const until = Math.min(arrival, cpu.runUntilTick, guest.sliceEnd);
      if (until !== Infinity && until > cpu.ticks) {
        cpu.idleTicks += until - cpu.ticks;
        cpu.ticks = until;
        devices.advance(until);
      }
      if (devices.pendingIrqs() === 0) {
        if (cpu.ticks >= guest.sliceEnd || arrival === Infinity) hv.switchGuest();
        return undefined;
      }
    }
  }
  if (guest.virtualIF && devices.pendingIrqs() !== 0) {
    cpu.isHalted = false;
    const vector = devices.takeInterrupt();
    guest.counters.virtualInterrupts++;
    if (hv.shouldStopAtTrap) {
      const event = describeTrap(hv, guest, classifyTrap(hv, guest, vector, 0), vector, 0, 0)!;
      if (hv.shouldStopAtTrap(event)) {
        hv.pendingTrap = { vector, errorCode: 0, faultAddress: 0 };
        return 'requested';
      }
    }
    deliverInterrupt(hv, guest, vector);
    return cpu.stopReason;
  }
  if (cpu.ticks >= guest.sliceEnd) hv.switchGuest();
  return undefined;
}

/** A virtual interrupt goes to the guest's handler through its evt. */
export function deliverInterrupt(hv: TrapContext, guest: Guest, vector: number): void {
  if (hv.isHardwareAssist) injectInterrupt(hv, guest, vector);
  else reflect(hv, guest, vector, 0, 0);
}

export function nextEventTick(guest: Guest, cpu: Cpu): number {
  if (guest.virtualIF && guest.devices.pendingIrqs() !== 0) return cpu.ticks;
  return Math.min(guest.devices.nextEventTick(), guest.sliceEnd);
}
