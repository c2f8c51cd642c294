// The user's edits to a stopped run: keyboard input, registers and memory.
// Each is applied at once and recorded in the history with its run position,
// so a replay after a step back makes it again at the same point. It does not
// know how replays run, only that they will call `apply` again, nor whether a
// guest waits for the input (run control's).

import { TimedInput } from '../machine/devices/keyboard';
import type { CpuBreakpoints } from './cpuBreakpoints';
import type { CurrentSystem } from './currentSystem';
import { EvalError } from './evaluate';
import { hexWord } from '../machine/format';
import type { History } from './history';
import type { HypervisorFrameView } from './hypervisorFrame';

export interface InterventionsDeps {
  run: Pick<CurrentSystem, 'target' | 'system' | 'position'>;
  history: Pick<History<unknown>, 'record'>;
  hvFrame: Pick<HypervisorFrameView, 'showAfterHandlingForEdit'>;
  cpuBreakpoints: Pick<CpuBreakpoints, 'clearAliases'>;
}

export class Interventions {
  constructor(private readonly deps: InterventionsDeps) {}

  /** Keyboard input typed by the user; recorded with its position so a replay types it again. */
  typeInput(guest: number, bytes: Uint8Array): void {
    const run = this.deps.run;
    const nGuests = run.target.guestCount;
    const g = Math.min(Math.max(0, guest), nGuests - 1);
    const copy = Uint8Array.from(bytes);
    const input = nGuests === 1 ? { tick: run.target.ticks(0), bytes: copy } : undefined;
    // The system of the moment the edit is made again: a replay from the start builds a new one.
    this.intervene(`input ${JSON.stringify(Buffer.from(copy).toString('latin1'))}`, () => run.system.typeInput(g, copy), input);
  }

  setRegister(guest: number, name: string, value: number): void {
    const lower = name.toLowerCase();
    this.intervene(`${name} = ${hexWord(value)}`, () => this.applyRegister(guest, lower, value >>> 0));
  }

  private applyRegister(g: number, name: string, value: number): void {
    const target = this.deps.run.target;
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
    this.intervene(`write ${copy.length} bytes at ${space}:${hexWord(address)}`, () => {
      written = this.deps.run.target.writeBytes(space, guest, address, copy);
    });
    this.deps.cpuBreakpoints.clearAliases();
    return written;
  }

  private intervene(description: string, apply: () => void, input?: TimedInput): void {
    // In the hypervisor frame, edits apply to the state after handling, which every line then shows.
    const { deps } = this;
    deps.hvFrame.showAfterHandlingForEdit();
    apply();
    const target = deps.run.target;
    const isTrapHeld = target.hv?.pendingTrap !== undefined || target.hv?.pendingGuestDelivery !== undefined || target.machine?.pendingException !== undefined;
    deps.history.record({ position: deps.run.position(), description, apply, input, isTrapHeld });
  }
}
