// What the simulator's events mean to the debugger: each machine or hypervisor
// event counts towards the run position, opens a handler frame, goes on the
// timeline, invalidates breakpoint aliases and is offered to the exception
// filters. This is the one place the runtime listens to the simulator; it
// pushes typed stop requests (StopRequests) and does not decide how a run
// proceeds after one.

import { MachineEvent } from '../machine/events';
import { Vector, VECTOR_NAMES } from '../machine/isa';
import { formatPageFaultError } from '../machine/pageFaultError';
import { explainDeliveryFailure } from '../machine/deliveryFailure';
import { HypervisorEvent } from '../hypervisor/events';
import type { Breakpoints } from './breakpoints';
import type { CpuBreakpoints } from './cpuBreakpoints';
import type { CurrentSystem } from './currentSystem';
import { hexLiteral, hexWord } from '../machine/format';
import { FilterMatching, toFilterEvent } from './filterMatching';
import type { FrameModel } from './frames';
import type { ReplayStatus } from './replayMode';
import type { StopRequests } from './runState';
import type { RuntimeEvent, StopInfo } from './runtime';
import type { Timeline } from './timeline';

export interface SimulatorEventsDeps {
  run: Pick<CurrentSystem, 'target' | 'countEvent'>;
  replay: Pick<ReplayStatus, 'isReplaying' | 'reaim'>;
  stops: Pick<StopRequests, 'requestStop' | 'deliveredTo'>;
  filters: Pick<FilterMatching, 'filterAfter' | 'filterEvent' | 'holdsBefore'>;
  timeline: Pick<Timeline, 'record'>;
  frameModel: Pick<FrameModel, 'pushHandler'>;
  cpuBreakpoints: Pick<CpuBreakpoints, 'refresh' | 'forgetAliases'>;
  breakpoints: Pick<Breakpoints, 'hasCodeBreakpoints'>;
  instructionText(g: number, pc: number): string;
  /** Per guest: its name and whether it was given keyboard input at launch. */
  guests: ReadonlyArray<{ name: string; inputs?: readonly unknown[] }>;
  emit(event: RuntimeEvent): void;
}

/** Hypervisor events whose filters stop right after the event (the trap filters stop before, in shouldStopAtTrap). */
const AFTER_HV_EVENTS = new Set<string>(['reflected', 'cr3-load', 'bt-translate', 'hw-exit', 'divergence']);

export class SimulatorEvents {
  /** The hypervisor's shadow-drop counter as last seen, to report each drop once. */
  private shadowDrops = 0;
  /** On bare hardware, an exception held before delivery (a trap filter stopped there): its handler frame opens when it is delivered. */
  private heldDelivery: { vector: number; pc: number; fromUser: boolean } | undefined;

  constructor(private readonly deps: SimulatorEventsDeps) {}

  /** A fresh system: nothing seen yet. */
  reset(): void {
    this.shadowDrops = 0;
    this.heldDelivery = undefined;
  }

  /** The shadow drops reported so far (kept in a snapshot). */
  get shadowDropsSeen(): number {
    return this.shadowDrops;
  }

  /** Puts back the count of a saved state. */
  loadShadowDropsSeen(count: number): void {
    this.shadowDrops = count;
  }

  /** A replay restored a state: the delivery held before is not this state's. */
  dropHeldDelivery(): void {
    this.heldDelivery = undefined;
  }

  onMachineEvent(event: MachineEvent): void {
    const deps = this.deps;
    const target = deps.run.target;
    const isBare = !target.hv;
    switch (event.kind) {
      case 'exception': {
        deps.run.countEvent();
        deps.replay.reaim();
        if (!isBare) return;
        const isFetchFault = event.vector === Vector.PF && (event.errorCode & 16) !== 0;
        const text = isFetchFault ? '' : deps.instructionText(0, event.pc);
        const mode = event.fromUser ? 'user mode' : 'kernel mode';
        const name = VECTOR_NAMES[event.vector] ?? `vector ${event.vector}`;
        let description = `${name} at pc ${hexWord(event.pc)}${text ? `: \`${text}\`` : ''} in ${mode}, delivered to the handler`;
        let filterId: string | undefined;
        if (event.vector === Vector.GP) {
          filterId = 'protection-fault';
          description = `protection fault at ${hexWord(event.pc)}: \`${text}\` in ${mode}, will be delivered to the guest's #GP handler`;
        } else if (event.vector === Vector.PF) {
          filterId = 'guest-page-fault';
          description = `page fault at ${hexWord(event.faultAddress)} (pc ${hexWord(event.pc)}), ${formatPageFaultError(event.errorCode)}, in ${mode}: will be delivered to the guest's #PF handler`;
        } else if (event.vector === Vector.SYSCALL) {
          filterId = 'syscall';
          description = `system call from ${mode} (returning to ${hexWord(event.pc)}): will be delivered to the guest's handler`;
        } else if (event.vector === Vector.DF && target.cpu.deliveryFailure) description = `${name}: ${explainDeliveryFailure(target.cpu.deliveryFailure)}`;
        deps.timeline.record(
          event.vector === Vector.SYSCALL ? 'syscall' : event.vector === Vector.GP ? 'protection-fault' : event.vector === Vector.PF ? 'guest-page-fault' : 'exception',
          0,
          event.pc,
          text,
          description,
          event.ticks,
        );
        const delivery = { vector: event.vector, pc: event.pc, fromUser: event.fromUser };
        if (filterId) {
          // Trap filters stop before delivery, at the faulting instruction, as under the hypervisor.
          const highlightVa = event.vector === Vector.PF ? event.faultAddress : undefined;
          const filterEvent = {
            kind: filterId,
            guest: 0,
            pc: event.pc,
            instruction: text,
            description,
            ticks: event.ticks,
            isUser: event.fromUser,
            vector: event.vector,
            errorCode: event.errorCode,
            address: event.faultAddress,
          };
          const stop: StopInfo = { reason: 'exception', guest: 0, description, exceptionId: filterId, highlightVa };
          if (deps.filters.holdsBefore(filterId, filterEvent, stop)) {
            target.machine!.isHoldRequested = true;
            this.heldDelivery = delivery;
            if (!deps.replay.isReplaying) deps.stops.requestStop(stop);
            return;
          }
        }
        this.delivered(delivery);
        return;
      }
      case 'cr3-load':
        if (!isBare) {
          // Under hardware assist with nested paging the guest's own cr3 loads do not exit: follow them here.
          if (deps.breakpoints.hasCodeBreakpoints && target.hv?.isNested) deps.cpuBreakpoints.refresh();
          return;
        }
        // Aliases are cached per address space, so a switch back to a known cr3 costs a lookup.
        deps.cpuBreakpoints.refresh();
        deps.timeline.record('cr3-load', 0, target.pc(0), `mov cr3`, `cr3 load of ${hexWord(event.value)}: the TLB is flushed`, event.ticks);
        deps.filters.filterAfter('cr3-load', deps.filters.filterEvent('cr3-load', 0, `cr3 load of ${hexWord(event.value)}`, event.value));
        return;
      case 'tlb-flush': {
        const g = target.currentGuest();
        const what = event.page === undefined ? `${event.nRemoved} entries removed` : `page ${hexWord(event.page)}${event.nRemoved ? '' : ' (not cached)'}`;
        const description = `TLB flush (${event.reason === 'hypervisor' ? 'by the hypervisor' : event.reason}): ${what}`;
        if (isBare && event.reason === 'invlpg') {
          deps.cpuBreakpoints.forgetAliases(0);
          deps.cpuBreakpoints.refresh();
        }
        if (isBare) deps.timeline.record('tlb-flush', g, target.pc(g), '', description, event.ticks);
        deps.filters.filterAfter('tlb-flush', deps.filters.filterEvent('tlb-flush', g, description, event.page));
        return;
      }
      case 'device':
        if (event.device === 'keyboard' && !event.isWrite) this.onKeyboardRead(event.port);
        return;
      case 'sensitive': {
        const g = target.currentGuest();
        const description = `sensitive instruction \`${event.mnemonic}\` at ${hexWord(event.pc)} ran in real ${event.isUser ? 'user' : 'kernel'} mode without trapping`;
        deps.timeline.record('sensitive', g, event.pc, event.mnemonic, description, event.ticks);
        deps.filters.filterAfter('sensitive', { kind: 'sensitive', guest: g, pc: event.pc, instruction: event.mnemonic, description, ticks: event.ticks, isUser: target.isUser(g) });
        return;
      }
      default:
        return;
    }
  }

  /** Guests told that their keyboard is empty, or given input: no hint for them (once per session, replays included). */
  private readonly noKeyboardHint = new Set<number>();

  /** The user typed input for guest g: it knows how. */
  keyboardTyped(g: number): void {
    this.noKeyboardHint.add(g);
  }

  /** A guest reads its keyboard while no input was configured or typed: the debug console says once how to type. */
  private onKeyboardRead(port: number): void {
    const deps = this.deps;
    const target = deps.run.target;
    const g = target.currentGuest();
    if (deps.replay.isReplaying || this.noKeyboardHint.has(g)) return;
    if ((deps.guests[g]?.inputs?.length ?? 0) > 0 || target.devices(g).keyboard.queueLength > 0) return;
    this.noKeyboardHint.add(g);
    const who = deps.guests.length > 1 ? `guest ${target.name(g)}` : 'the guest';
    deps.emit({
      kind: 'output',
      category: 'console',
      text: `hyperstep: ${who} reads the keyboard (port ${hexLiteral(port)}), which is empty: no input was configured ("input" in launch.json) or typed. Type \`input TEXT\` (or \`> TEXT\`) in the debug console to press keys.\n`,
    });
  }

  /** The bare machine delivers an exception now: its handler frame opens, and a step watching the guest ends in the handler. */
  private delivered(delivery: { vector: number; pc: number; fromUser: boolean }): void {
    this.deps.frameModel.pushHandler(0, delivery.vector, delivery.pc, delivery.fromUser);
    this.deps.stops.deliveredTo(0);
  }

  /** Before the system runs: an exception held on bare hardware is delivered first (Machine.run). */
  beforeRun(): void {
    const held = this.heldDelivery;
    this.heldDelivery = undefined;
    if (held && this.deps.run.target.machine?.pendingException) this.delivered(held);
  }

  onHypervisorEvent(event: HypervisorEvent): void {
    const deps = this.deps;
    const target = deps.run.target;
    if (event.kind === 'reflected') {
      deps.run.countEvent();
      deps.replay.reaim();
      const guest = target.guestObject(event.guest);
      // The event comes before the guest enters pretend kernel mode: its mode is the interrupted code's.
      deps.frameModel.pushHandler(event.guest, event.vector ?? 0, event.pc, guest ? event.isPretendUser : false);
      deps.stops.deliveredTo(event.guest);
    }
    if (event.kind === 'cr3-load' || event.kind === 'tlb-flush') {
      if (event.kind === 'tlb-flush') deps.cpuBreakpoints.forgetAliases(event.guest);
      deps.cpuBreakpoints.refresh();
    }
    deps.timeline.record(event.kind, event.guest, event.pc, event.instruction, event.description, event.ticks);
    if (AFTER_HV_EVENTS.has(event.kind)) {
      deps.filters.filterAfter(event.kind, toFilterEvent(event, event.kind), event.kind === 'reflected' ? event.address : undefined);
    }
    const drops = target.hv!.counters.shadowDrops;
    if (drops > this.shadowDrops) {
      const n = drops - this.shadowDrops;
      this.shadowDrops = drops;
      const description = `${n} shadow page table${n === 1 ? '' : 's'} dropped (after: ${event.description})`;
      deps.timeline.record('shadow-dropped', event.guest, event.pc, event.instruction, description, event.ticks);
      deps.filters.filterAfter('shadow-dropped', { ...toFilterEvent(event, 'shadow-dropped'), description });
    }
  }
}
