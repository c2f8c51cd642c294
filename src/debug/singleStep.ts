// Running one guest instruction at a time, for step out (until the function
// or exception handler returns) and for continue with data breakpoints (the
// memory accesses each instruction is about to make are checked against them).
// Code breakpoints are checked here after each step, not by the CPU. It does
// not know the hypervisor frame or the history.

import { assertNever } from '../machine/assertNever';
import { operandAddress } from '../machine/decode';
import { Op } from '../machine/isa';
import { Target } from './target';
import { evaluateExpression, formatValue, hex8 } from './evaluate';
import { isGuestStop, Outcome, SLICE_TICKS } from './runControl';
import type { DebugRuntime } from './runtime';

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
    case 'load': return [{ address: operandAddress(instr, regs) >>> 0, size: access.size, isWrite: false }];
    case 'store': return [{ address: operandAddress(instr, regs) >>> 0, size: access.size, isWrite: true }];
    case 'push': return [{ address: (sp - 4) >>> 0, size: access.size, isWrite: true }];
    case 'pop': return [{ address: sp, size: access.size, isWrite: false }];
    case 'none': return [];
    default: return assertNever(access, 'memory access');
  }
}

export class SingleStep {
  constructor(private readonly runtime: DebugRuntime) {}

  /** One guest instruction of guest g (or one delivery into its handler). Returns a stop outcome, or undefined when done. */
  private stepOnce(g: number): { outcome?: Outcome; isDelivered: boolean } {
    const runtime = this.runtime;
    const control = runtime.control;
    const cpu = runtime.target.cpu;
    const startRetired = runtime.target.retired(g);
    control.stepWatch = { guest: g, isDelivered: false };
    control.pendingStop = undefined;
    cpu.skipBreakpointAt = cpu.pc;
    for (let guard = 0; guard < 100_000; guard++) {
      const isOurs = runtime.target.currentGuest() === g;
      cpu.runUntilTick = runtime.divergence.cap(cpu.ticks + (isOurs && !cpu.isHalted ? 1 : SLICE_TICKS));
      cpu.requestService();
      const retiredBefore = runtime.target.retired(0);
      const result = runtime.run();
      const isDelivered = control.stepWatch!.isDelivered;
      if (runtime.divergence.check(retiredBefore)) return { outcome: 'stopped', isDelivered };
      if (result.reason === 'requested' && control.pendingStop) {
        const stop = control.pendingStop;
        control.pendingStop = undefined;
        runtime.stop(stop);
        return { outcome: 'stopped', isDelivered };
      }
      if (result.reason === 'requested' && (runtime.target.hv?.pendingTrap || runtime.target.hv?.pendingGuestDelivery) && control.trapStop) {
        const { event, filterId } = control.trapStop;
        control.trapStop = undefined;
        control.lastTrapEvent = event;
        runtime.stop({ reason: 'exception', guest: event.guest, description: event.description, exceptionId: filterId, highlightVa: event.address });
        return { outcome: 'stopped', isDelivered };
      }
      if (isDelivered) return { isDelivered };
      if (result.reason === 'budget' && runtime.target.currentGuest() === g && runtime.target.retired(g) > startRetired) return { isDelivered };
      if (result.reason === 'waiting-for-input') return { outcome: 'waiting', isDelivered };
      if (isGuestStop(result.reason)) return { outcome: control.guestEnded(result), isDelivered };
    }
    return { isDelivered: false };
  }

  driver(mode: { kind: 'out'; guest: number } | { kind: 'data' }): () => Outcome {
    const runtime = this.runtime;
    runtime.control.setupResume();
    // Breakpoints are checked here, after each step, not by the CPU.
    runtime.target.cpu.setBreakpoints([]);
    let depth = 0;
    let nested = 0;
    let isFirst = true;
    return () => {
      for (let i = 0; i < STEPS_PER_SLICE; i++) {
        const g = mode.kind === 'out' ? mode.guest : runtime.target.currentGuest();
        const pc = runtime.target.pc(g);
        if (!isFirst) {
          const hits = runtime.cpuBreakpoints.check(g, pc, { isCounting: true });
          if (hits.length > 0) {
            runtime.stop({ reason: 'breakpoint', guest: g, description: `breakpoint at ${hex8(pc)}`, hitBreakpointIds: hits.map((h) => h.id) });
            return 'stopped';
          }
        }
        isFirst = false;
        const op = runtime.target.peek(g, pc)?.info.op;
        const accesses = runtime.breakpoints.data.length > 0 ? accessesOf(runtime.target, g) : [];
        const retiredBefore = runtime.target.retired(g);
        const step = this.stepOnce(g);
        if (step.outcome) return step.outcome;
        const didRetire = runtime.target.retired(g) > retiredBefore;
        if (didRetire && !step.isDelivered) {
          for (const access of accesses) {
            const hits = runtime.breakpoints.dataHits(access.address, access.size, access.isWrite).filter((record) => {
              if (record.condition) {
                try { if (evaluateExpression(record.condition, runtime.evalContext(g)) === 0) return false; } catch { return false; }
              }
              record.hits++;
              return !record.hitCondition || record.hitCondition(record.hits);
            });
            if (hits.length > 0) {
              const value = runtime.target.readWord('gva', g, access.address, access.size === 1 ? 1 : 4);
              runtime.stop({
                reason: 'data breakpoint', guest: g, hitBreakpointIds: hits.map((h) => h.id), highlightVa: access.address,
                description: `${access.isWrite ? 'write to' : 'read of'} ${hex8(access.address)} by the instruction at ${hex8(pc)}${value !== undefined ? `; value now ${formatValue(value)}` : ''}`,
              });
              return 'stopped';
            }
          }
        }
        if (mode.kind === 'out') {
          if (step.isDelivered) { nested++; continue; }
          if (nested > 0) { if (op === Op.IRET && didRetire) nested--; continue; }
          if (!didRetire) continue;
          if (op === Op.CALL_I || op === Op.CALL_R) depth++;
          else if (op === Op.RET) {
            if (depth === 0) { runtime.stop({ reason: 'step', guest: g, description: 'step out: the function returned' }); return 'stopped'; }
            depth--;
          } else if (op === Op.IRET && depth === 0) {
            runtime.stop({ reason: 'step', guest: g, description: 'step out: the exception handler returned' });
            return 'stopped';
          }
        }
      }
      return 'running';
    };
  }
}
