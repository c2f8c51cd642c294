// The call stack model of a guest: its current frame, the exception handlers
// it has entered and not yet left (tracked from deliveries, pruned by the
// guest's mode and sp), and the hypervisor frame on top while step into shows
// the hypervisor's pseudocode. It also maps a pc to its source line and label.
// It does not run the guest, and does not decide when a handler frame is
// pushed: the simulator's events (simulatorEvents.ts) tell it.

import { AsmSymbol } from '../asm';
import { VECTOR_NAMES } from '../machine/isa';
import { PseudocodeLine } from '../hypervisor/pseudocode';
import { LineMap } from '../asm';
import type { RunPosition } from './currentSystem';
import { hexWord } from '../machine/format';
import type { HypervisorFrame } from './hypervisorFrame';
import type { ReplayStatus } from './replayMode';

/** An exception handler of the guest that has not returned yet. */
export interface HandlerEntry {
  vector: number;
  /** Guest-virtual pc of the interrupted code (the saved pc of the trap frame). */
  savedPc: number;
  fromUser: boolean;
  /** sp of the handler at entry: the trap frame (address, error, pc, flags, mode, sp) lies here. */
  frameSp: number;
  cr3: number;
}

export interface FrameInfo {
  kind: 'hypervisor' | 'guest' | 'handler';
  name: string;
  /** Guest-virtual pc (the hypervisor frame: the trapping pc). */
  pc: number;
  source?: { path: string; line: number };
  hypervisorLine?: PseudocodeLine;
  handler?: HandlerEntry;
}

export class FrameModel {
  private handlerStacks: HandlerEntry[][] = [];

  /** `labels`: per guest, its labels sorted by value. */
  constructor(
    private readonly run: RunPosition,
    private readonly replay: Pick<ReplayStatus, 'isReplaying' | 'replayTarget'>,
    private readonly lineMaps: readonly LineMap[],
    private readonly labels: AsmSymbol[][],
  ) {}

  /** A fresh system: no guest is in a handler. */
  reset(nGuests: number): void {
    this.handlerStacks = Array.from({ length: nGuests }, () => []);
  }

  /** A copy of the handler stacks, for a snapshot. */
  save(): HandlerEntry[][] {
    return this.handlerStacks.map((s) => s.map((e) => ({ ...e })));
  }

  load(saved: HandlerEntry[][]): void {
    this.handlerStacks = saved.map((s) => s.map((e) => ({ ...e })));
  }

  pushHandler(g: number, vector: number, savedPc: number, fromUser: boolean): void {
    const replay = this.replay;
    if (replay.isReplaying && replay.replayTarget === undefined) return;
    const target = this.run.target;
    const stack = this.handlerStacks[g];
    if (!stack) return;
    const regs = target.regs(g);
    if (fromUser) stack.length = 0;
    else this.pruneHandlers(g, regs[15] >>> 0);
    const base = fromUser ? target.ksp(g) : regs[15] >>> 0;
    stack.push({ vector, savedPc: savedPc >>> 0, fromUser, frameSp: (base - 24) >>> 0, cr3: target.cr3(g) });
    if (stack.length > 64) stack.shift();
  }

  /** A handler is active while the guest is in kernel mode and its sp has not climbed above the trap frame's pc slot. */
  private pruneHandlers(g: number, sp: number): void {
    const stack = this.handlerStacks[g];
    while (stack.length > 0 && sp > stack[stack.length - 1].frameSp + 8) stack.pop();
  }

  activeHandlers(g: number): HandlerEntry[] {
    const stack = this.handlerStacks[g] ?? [];
    if (this.run.target.isUser(g)) {
      stack.length = 0;
      return [];
    }
    this.pruneHandlers(g, this.run.target.regs(g)[15] >>> 0);
    return [...stack].reverse();
  }

  /** Frames of guest g, innermost first; `hvFrame`: the hypervisor frame shown now, if any. */
  frames(g: number, hvFrame: HypervisorFrame | undefined): FrameInfo[] {
    const frames: FrameInfo[] = [];
    const isInHypervisor = hvFrame !== undefined && hvFrame.guest === g;
    if (isInHypervisor) {
      frames.push({ kind: 'hypervisor', name: `hypervisor trap(): ${hvFrame.description}`, pc: hvFrame.trapPc, hypervisorLine: hvFrame.trace[hvFrame.index] });
    }
    const pc = isInHypervisor ? hvFrame.trapPc : this.run.target.pc(g);
    frames.push(this.guestFrame(g, pc, 'guest'));
    for (const handler of this.activeHandlers(g)) {
      const frame = this.guestFrame(g, handler.savedPc, 'handler');
      const name = VECTOR_NAMES[handler.vector] ?? (handler.vector === 32 ? 'timer interrupt' : handler.vector === 33 ? 'keyboard interrupt' : `vector ${handler.vector}`);
      frame.name = `${frame.name} — interrupted by ${name}`;
      frame.handler = handler;
      frames.push(frame);
    }
    return frames;
  }

  private guestFrame(g: number, pc: number, kind: 'guest' | 'handler'): FrameInfo {
    const target = this.run.target;
    const source = this.sourceOf(g, pc);
    const gpa = source?.gpa ?? target.toPhysical(g, pc);
    const label = gpa !== undefined ? this.labelAt(g, gpa) : undefined;
    const mode = kind === 'guest' ? (target.isUser(g) ? (target.hv ? ' [pretend user]' : ' [user]') : target.hv ? ' [pretend kernel]' : ' [kernel]') : '';
    const name = `${label ? `${label.name}${label.offset ? `+${label.offset}` : ''}` : hexWord(pc)}${mode}`;
    return { kind, name, pc, source: source ? { path: source.path, line: source.line } : undefined };
  }

  /** The label at or before a guest-physical address, with the offset. */
  labelAt(g: number, gpa: number): { name: string; offset: number } | undefined {
    const labels = this.labels[g] ?? [];
    let low = 0;
    let high = labels.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (labels[mid].value <= gpa) low = mid + 1;
      else high = mid;
    }
    const label = labels[low - 1];
    return label ? { name: label.name, offset: gpa - label.value } : undefined;
  }

  /** Source line of a guest-virtual pc in guest g's address space (through `cr3` when given). */
  sourceOf(g: number, pc: number): { path: string; line: number; gpa: number } | undefined {
    const gpa = this.run.target.toPhysical(g, pc);
    if (gpa === undefined) return undefined;
    const location = this.lineMaps[g]?.lookup(gpa);
    return location ? { path: location.file, line: location.line, gpa } : undefined;
  }
}
