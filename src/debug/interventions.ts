// The user's edits to a stopped run: keyboard input, registers and memory.
// Each is applied at once and recorded in the history with its run position,
// so a replay after a step back makes it again at the same point. It does not
// know how replays run, only that they will call `apply` again.

import { TimedInput } from '../machine/devices/keyboard';
import { EvalError, hex8 } from './evaluate';
import type { DebugRuntime } from './runtime';

export class Interventions {
  constructor(private readonly runtime: DebugRuntime) {}

  /** Keyboard input typed by the user; recorded with its position so a replay types it again. */
  typeInput(guest: number, bytes: Uint8Array): void {
    const runtime = this.runtime;
    const g = Math.min(Math.max(0, guest), runtime.guests.length - 1);
    const copy = Uint8Array.from(bytes);
    const input = runtime.guests.length === 1 ? { tick: runtime.target.ticks(0), bytes: copy } : undefined;
    this.intervene(`input ${JSON.stringify(Buffer.from(copy).toString('latin1'))}`, () => runtime.system.typeInput(g, copy), input);
    if (runtime.control.isWaitingForInput) {
      runtime.control.isWaitingForInput = false;
      runtime.control.resume({ kind: 'continue' });
    }
  }

  setRegister(guest: number, name: string, value: number): void {
    const lower = name.toLowerCase();
    this.intervene(`${name} = ${hex8(value)}`, () => this.applyRegister(guest, lower, value >>> 0));
  }

  private applyRegister(g: number, name: string, value: number): void {
    const target = this.runtime.target;
    const flagBits: Record<string, number> = { cf: 1, zf: 2, sf: 4, of: 8, if: 0x200 };
    if (name === 'pc') target.setPc(g, value);
    else if (name === 'flags') target.setFlags(g, value);
    else if (name in flagBits) {
      const flags = target.flags(g);
      target.setFlags(g, value ? flags | flagBits[name] : flags & ~flagBits[name]);
    } else {
      const index = name === 'sp' ? 15 : /^r(\d+)$/.test(name) ? Number(name.slice(1)) : -1;
      if (index < 0 || index > 15) throw new EvalError(`'${name}' is not a register that can be set`);
      target.regs(g)[index] = value | 0;
    }
  }

  writeMemory(space: 'gva' | 'gpa' | 'ma', guest: number, address: number, data: Uint8Array): number {
    const copy = Uint8Array.from(data);
    let written = 0;
    this.intervene(`write ${copy.length} bytes at ${space}:${hex8(address)}`, () => { written = this.runtime.target.writeBytes(space, guest, address, copy); });
    this.runtime.cpuBreakpoints.clearAliases();
    return written;
  }

  private intervene(description: string, apply: () => void, input?: TimedInput): void {
    // In the hypervisor frame, edits apply to the state after handling, which every line then shows.
    this.runtime.hvFrame.showAfterHandlingForEdit();
    apply();
    const target = this.runtime.target;
    const isTrapHeld = target.hv?.pendingTrap !== undefined || target.hv?.pendingGuestDelivery !== undefined || target.machine?.pendingException !== undefined;
    this.runtime.history.record({ position: this.runtime.position(), description, apply, input, isTrapHeld });
  }
}
