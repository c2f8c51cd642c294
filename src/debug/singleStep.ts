// Running one guest instruction at a time, for step out (until the function
// or exception handler returns) and for continue with data breakpoints (the
// memory accesses each instruction is about to make are checked against them).
// Code breakpoints are checked here after each step, not by the CPU. It does
// not know the hypervisor frame or the history. Run control builds it and
// gives itself as `loop`.

import { assertNever } from '../machine/assertNever';
import { operandAddress } from '../machine/decode';
import { Op } from '../machine/isa';
import { RunResult } from '../machine/machine';
import type { Breakpoints } from './breakpoints';
import type { CpuBreakpoints } from './cpuBreakpoints';
import type { RunPosition } from './currentSystem';
import type { DivergenceFilter } from './divergenceFilter';
import { EvalContext, evaluateExpression, formatValue } from './evaluate';
import { hexWord } from '../machine/format';
import { isGuestStop, Outcome, SLICE_TICKS } from './runControl';
import type { RunState } from './runState';
import type { StopInfo } from './runtime';
import { Target } from './target';

export interface SingleStepDeps {
  run: Pick<RunPosition, 'target'>;
  state: RunState;
  divergence: Pick<DivergenceFilter, 'cap' | 'check'>;
  breakpoints: Pick<Breakpoints, 'data' | 'dataHits'>;
  cpuBreakpoints: Pick<CpuBreakpoints, 'check'>;
  evalContext(g: number): EvalContext;
  runSystem(): RunResult;
  stop(stop: StopInfo): void;
  /** Run control: how a resume starts, and what a guest's end means. */
  loop: { setupResume(): void; guestEnded(result: RunResult): Outcome };
}

/** Single steps per slice when stepping out or watching data. */
const STEPS_PER_SLICE = 5_000;

/** Memory accesses an instruction is about to make, for data breakpoints: what the opcode table says it accesses. */
function accessesOf(target: Target, g: number): Array<{ address: number; size: number; isWrite: boolean }> {
  const pc = target.pc(g);
  const instr = target.peek(g, pc);
  if (!instr) return [];
  const regs = target.regs(g);
  const sp = regs[15] >>> 0;
  const access = instr.info.access;
  switch (access.kind) {
    case 'load':
      return [{ address: operandAddress(instr, regs) >>> 0, size: access.size, isWrite: false }];
    case 'store':
      return [{ address: operandAddress(instr, regs) >>> 0, size: access.size, isWrite: true }];
    case 'push':
      return [{ address: (sp - 4) >>> 0, size: access.size, isWrite: true }];
    case 'pop':
      return [{ address: sp, size: access.size, isWrite: false }];
    case 'none':
      return [];
    default:
      return assertNever(access, 'memory access');
  }
}

export class SingleStep {
  constructor(private readonly deps: SingleStepDeps) {}

  /** One guest instruction of guest g (or one delivery into its handler). Returns a stop outcome, or undefined when done. */
  private stepOnce(g: number): { outcome?: Outcome; isDelivered: boolean } {
    const { deps } = this;
    const state = deps.state;
    const target = deps.run.target;
    const cpu = target.cpu;
    const startRetired = target.retired(g);
    state.beginStepWatch(g);
    state.clearPendingStop();
    cpu.skipBreakpointAt = cpu.pc;
    for (let guard = 0; guard < 100_000; guard++) {
      const isOurs = target.currentGuest() === g;
      cpu.runUntilTick = deps.divergence.cap(cpu.ticks + (isOurs && !cpu.isHalted ? 1 : SLICE_TICKS));
      cpu.requestService();
      const retiredBefore = target.retired(0);
      const result = deps.runSystem();
      const isDelivered = state.stepWatch!.isDelivered;
      const divergence = deps.divergence.check(retiredBefore);
      if (divergence) {
        state.clearPendingStop();
        deps.stop(divergence);
        return { outcome: 'stopped', isDelivered };
      }
      if (result.reason === 'requested' && state.hasPendingStop) {
        deps.stop(state.takePendingStop()!);
        return { outcome: 'stopped', isDelivered };
      }
      if (result.reason === 'requested' && (target.hv?.pendingTrap || target.hv?.pendingGuestDelivery) && state.hasHeldTrap) {
        const { event, filterId } = state.takeHeldTrap()!;
        deps.stop({ reason: 'exception', guest: event.guest, description: event.description, exceptionId: filterId, highlightVa: event.address });
        return { outcome: 'stopped', isDelivered };
      }
      if (isDelivered) return { isDelivered };
      if (result.reason === 'budget' && target.currentGuest() === g && target.retired(g) > startRetired) return { isDelivered };
      if (result.reason === 'waiting-for-input') return { outcome: 'waiting', isDelivered };
      if (isGuestStop(result.reason)) return { outcome: deps.loop.guestEnded(result), isDelivered };
    }
    return { isDelivered: false };
  }

  driver(mode: { kind: 'out'; guest: number } | { kind: 'data' }): () => Outcome {
    const { deps } = this;
    deps.loop.setupResume();
    // Breakpoints are checked here, after each step, not by the CPU.
    deps.run.target.cpu.setBreakpoints([]);
    let depth = 0;
    let nested = 0;
    let isFirst = true;
    return () => {
      const target = deps.run.target;
      for (let i = 0; i < STEPS_PER_SLICE; i++) {
        const g = mode.kind === 'out' ? mode.guest : target.currentGuest();
        const pc = target.pc(g);
        if (!isFirst) {
          const hits = deps.cpuBreakpoints.check(g, pc, { isCounting: true });
          if (hits.length > 0) {
            deps.stop({ reason: 'breakpoint', guest: g, description: `breakpoint at ${hexWord(pc)}`, hitBreakpointIds: hits.map((h) => h.id) });
            return 'stopped';
          }
        }
        isFirst = false;
        const op = target.peek(g, pc)?.info.op;
        const accesses = deps.breakpoints.data.length > 0 ? accessesOf(target, g) : [];
        const retiredBefore = target.retired(g);
        const step = this.stepOnce(g);
        if (step.outcome) return step.outcome;
        const didRetire = target.retired(g) > retiredBefore;
        if (didRetire && !step.isDelivered) {
          for (const access of accesses) {
            const hits = deps.breakpoints.dataHits(access.address, access.size, access.isWrite).filter((record) => {
              if (record.condition) {
                try {
                  if (evaluateExpression(record.condition, deps.evalContext(g)) === 0) return false;
                } catch {
                  return false;
                }
              }
              record.hits++;
              return !record.hitCondition || record.hitCondition(record.hits);
            });
            if (hits.length > 0) {
              const value = target.readWord('gva', g, access.address, access.size === 1 ? 1 : 4);
              deps.stop({
                reason: 'data breakpoint',
                guest: g,
                hitBreakpointIds: hits.map((h) => h.id),
                highlightVa: access.address,
                description: `${access.isWrite ? 'write to' : 'read of'} ${hexWord(access.address)} by the instruction at ${hexWord(pc)}${value !== undefined ? `; value now ${formatValue(value)}` : ''}`,
              });
              return 'stopped';
            }
          }
        }
        if (mode.kind === 'out') {
          if (step.isDelivered) {
            nested++;
            continue;
          }
          if (nested > 0) {
            if (op === Op.IRET && didRetire) nested--;
            continue;
          }
          if (!didRetire) continue;
          if (op === Op.CALL_I || op === Op.CALL_R) depth++;
          else if (op === Op.RET) {
            if (depth === 0) {
              deps.stop({ reason: 'step', guest: g, description: 'step out: the function returned' });
              return 'stopped';
            }
            depth--;
          } else if (op === Op.IRET && depth === 0) {
            deps.stop({ reason: 'step', guest: g, description: 'step out: the exception handler returned' });
            return 'stopped';
          }
        }
      }
      return 'running';
    };
  }
}
