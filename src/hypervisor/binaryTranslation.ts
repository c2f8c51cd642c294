// Binary translation, the hypervisor's side (the engine, its cache and the
// translator are in binaryTranslate/): which engine runs a guest, the
// engine switch when a guest enters pretend kernel mode, the code pages kept
// write-protected in every shadow, and routing writes to machine frames that
// hold translated code to the guest whose translations they overlap.

import { StopReason } from '../machine/cpu';
import { PAGE_SIZE } from '../machine/isa';
import { BinaryTranslator } from './binaryTranslate/engine';
import type { Guest } from './guest';
import type { Hypervisor } from './hypervisor';
import type { TrapContext } from './trapContext';

/** Gives a guest its translator (under `binary-translation`). */
export function attachTranslator(hv: Hypervisor, guest: Guest): void {
  guest.translator = new BinaryTranslator(hv, guest, hv.config.binaryTranslation);
}

/** Does this guest-physical page hold translated code (kept read-only in every shadow)? */
export function isTranslatedCodePage(guest: Guest, gpa: number): boolean {
  return guest.translator?.cache.isProtected(gpa >>> 12) ?? false;
}

/** Pretend-kernel code runs translated, pretend-user code on the real CPU. */
export function runCurrentGuest(hv: TrapContext): StopReason {
  const translator = hv.current.translator;
  return translator && !hv.current.isPretendUser ? translator.run() : hv.cpu.run();
}

/** Under binary translation pretend-kernel code runs translated: the interpreter hands over. */
export function onPretendModeSwitch(hv: TrapContext, guest: Guest, isUser: boolean): void {
  if (guest.translator && !isUser) {
    hv.cpu.stopRequest = 'switch-engine';
    hv.cpu.requestService();
  }
}

/** Machine frame -> owning guest's index (-1 for the hypervisor's own), and the guest frame number it backs. */
export interface MachineFrameOwners {
  guestOfMachineFrame: Int32Array;
  gfnOfMachineFrame: Int32Array;
}

/**
 * Every write through machine memory's write path (page walks, the hypervisor's
 * emulated stores and frame pushes, the debugger) to a frame holding translated
 * code: the guest that owns the frame drops the translations it overlaps.
 */
export function onTranslatedCodeWrite(owners: MachineFrameOwners, guests: readonly Guest[], pa: number, length: number): void {
  const end = pa + length;
  for (let at = pa; at < end;) {
    const frame = at >>> 12;
    const pieceEnd = Math.min(end, (frame + 1) * PAGE_SIZE);
    const owner = owners.guestOfMachineFrame[frame];
    if (owner >= 0) guests[owner].translator?.onCodeWrite(owners.gfnOfMachineFrame[frame] * PAGE_SIZE + (at & 0xfff), pieceEnd - at);
    at = pieceEnd;
  }
}
