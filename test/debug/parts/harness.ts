// Small real machines and fakes for the unit tests of the debug runtime's
// parts: each part is built with just the dependencies it names, no adapter
// process and no DebugRuntime facade.

import { AssembleResult, assembleText } from '../../../src/asm';
import { createSystem, SystemOptions, VirtualSystem } from '../../../src/hypervisor/system';
import { HypervisorEvent } from '../../../src/hypervisor/events';
import { Breakpoints } from '../../../src/debug/breakpoints';
import { CpuBreakpoints } from '../../../src/debug/cpuBreakpoints';
import { CurrentSystem } from '../../../src/debug/currentSystem';
import { FilterMatching } from '../../../src/debug/filterMatching';
import { RunControl } from '../../../src/debug/runControl';
import { EvalContext } from '../../../src/debug/evaluate';
import { ReplayMode } from '../../../src/debug/replayMode';
import { RunState } from '../../../src/debug/runState';
import type { RuntimeEvent, StopInfo } from '../../../src/debug/runtime';

/** A bare-hardware guest that counts r1 up in a loop, calls a function, and halts. */
export const COUNTER_PROGRAM = `
_start:
        mov sp, 0x8000
        mov r1, 0
        mov r2, 0
loop:
        add r1, 1
        call bump
        cmp r1, 100
        jnz loop
        cli
        hlt
bump:
        add r2, 2
        ret
`;

export function assembled(text: string): AssembleResult {
  const result = assembleText(text);
  if (!result.image) throw new Error(`does not assemble: ${result.diagnostics.map((d) => `${d.line}:${d.column} ${d.message}`).join('; ')}`);
  return result;
}

export function symbol(result: AssembleResult, name: string): number {
  const found = result.symbols.find((s) => s.name === name);
  if (!found) throw new Error(`no symbol ${name}`);
  return found.value;
}

export interface Machine {
  assembled: AssembleResult;
  options: SystemOptions;
  system: VirtualSystem;
  current: CurrentSystem;
  replayMode: ReplayMode;
  runState: RunState;
}

/** One guest of `text` on bare hardware (or under `virtualization`), with the state layer of the runtime over it. */
export function machine(text: string, virtualization: SystemOptions['virtualization'] = 'none'): Machine {
  const result = assembled(text);
  const options: SystemOptions = { virtualization, guests: [{ name: 'guest', image: result.image!, memory: 1 << 20 }], isInteractive: true };
  const system = createSystem(options);
  const current = new CurrentSystem(system);
  const replayMode = new ReplayMode(current);
  const runState = new RunState(current, replayMode);
  return { assembled: result, options, system, current, replayMode, runState };
}

/** Runs the current system for `ticks` more ticks (or to its stop). */
export function runTicks(current: CurrentSystem, ticks: number): void {
  const cpu = current.target.cpu;
  cpu.runUntilTick = cpu.ticks + ticks;
  cpu.requestService();
  current.system.run();
}

/** Collects what a part reports. */
export class Recorder {
  readonly events: RuntimeEvent[] = [];
  readonly stops: StopInfo[] = [];
  readonly emit = (event: RuntimeEvent): void => {
    this.events.push(event);
  };
  readonly stop = (stop: StopInfo): void => {
    this.stops.push(stop);
  };

  text(category: 'stdout' | 'console' | 'stderr'): string {
    return this.events.map((e) => (e.kind === 'output' && e.category === category ? e.text : '')).join('');
  }
}

/** An evaluation context over fixed register values. */
export function registers(values: Record<string, number>): EvalContext {
  return { register: (name) => values[name], read: () => undefined, symbol: () => undefined };
}

/** A hypervisor trap event as the hypervisor reports it before handling. */
export function trapEvent(fields: Partial<HypervisorEvent> = {}): HypervisorEvent {
  return {
    kind: 'protection-fault',
    guest: 0,
    pc: 0x1000,
    instruction: 'cli',
    isPretendUser: false,
    description: 'protection fault at 0x00001000: `cli` in pretend kernel mode, will be emulated',
    ticks: 7,
    ...fields,
  };
}

/** The breakpoints and exception filters every part above them reads, over `m`'s real state. */
export function breakpointsAndFilters(
  m: Machine,
  recorder: Recorder,
  filterOptions: { instructionText?: string; divergenceUnavailable?: string } = {},
): { breakpoints: Breakpoints; cpuBreakpoints: CpuBreakpoints; filters: FilterMatching } {
  const breakpoints = new Breakpoints([m.assembled.lineMap]);
  const cpuBreakpoints = new CpuBreakpoints({
    run: m.current,
    breakpoints,
    replay: m.replayMode,
    runState: m.runState,
    evalContext: () => registers({}),
    emit: recorder.emit,
    flushOutput: () => undefined,
  });
  const instructionText = filterOptions.instructionText ?? '';
  const divergenceUnavailable = 'divergenceUnavailable' in filterOptions ? filterOptions.divergenceUnavailable : 'bare';
  const filters = new FilterMatching({ run: m.current, replay: m.replayMode, stops: m.runState, instructionText: () => instructionText, divergenceUnavailable });
  return { breakpoints, cpuBreakpoints, filters };
}

/** Run control over a bare machine: real state, breakpoints and filters; no hypervisor frame, divergence or snapshots. */
export function control(m: Machine, recorder: Recorder): { control: RunControl; breakpoints: Breakpoints } {
  const evalContext = () => registers({});
  const { breakpoints, cpuBreakpoints, filters } = breakpointsAndFilters(m, recorder);
  const run = new RunControl({
    run: m.current,
    state: m.runState,
    replay: m.replayMode,
    filters,
    breakpoints,
    cpuBreakpoints,
    divergence: { ensure: () => undefined, cap: (tick) => tick, check: () => undefined },
    hvFrame: {
      frame: undefined,
      enter: () => {
        throw new Error('no hypervisor');
      },
      resume: () => false,
    },
    maybeSnapshot: () => undefined,
    lineMap: m.assembled.lineMap,
    isStopOnEntry: true,
    evalContext,
    runSystem: () => m.current.system.run(),
    stop: recorder.stop,
    emit: recorder.emit,
    flushOutput: () => undefined,
    onResume: () => undefined,
  });
  return { control: run, breakpoints };
}
