// The divergence finder: runs a guest on bare hardware and under another
// setting in lockstep (both deterministic, both counted in guest ticks) and
// reports the first instruction after which guest-visible state differs.
// It compares whole states at chunk boundaries, then replays the chunk that
// diverged one tick at a time, so the search costs little on long runs.

import { Flag, Op } from '../machine/isa';
import { bytesEqual, latin1Text } from '../machine/bytes';
import { hexWord } from '../machine/format';
import { RunResult } from '../machine/machine';
import { Virtualization } from './settings';
import { GuestView, VirtualSystem } from './system';

export interface Divergence {
  /** Retired instructions before the diverging one. */
  retired: number;
  pc: number;
  instruction: string;
  differences: string[];
  explanation: string;
}

export interface CompareResult {
  divergence: Divergence | undefined;
  /** Ticks both runs went through in agreement. */
  ticksCompared: number;
  reference: RunResult;
  other: RunResult;
  referenceSetting: string;
  otherSetting: string;
}

export interface CompareOptions {
  /** Ticks between whole-state comparisons. */
  chunk?: number;
}

interface Side {
  system: VirtualSystem;
  last: RunResult | undefined;
}

const DEFAULT_CHUNK = 2000;
/** While replaying a chunk, all of guest memory is compared only every this many ticks (then exactly, in the window before a difference). */
const MEMORY_STRIDE = 64;

/** Runs until `tick` or a stop; a stopped system stays stopped. */
function runTo(side: Side, tick: number): void {
  if (side.last && side.last.reason !== 'budget') return;
  const cpu = side.system.cpu;
  cpu.runUntilTick = tick;
  cpu.requestService();
  side.last = side.system.run();
}

function stopOf(side: Side): string {
  return side.last && side.last.reason !== 'budget' ? side.last.reason : 'running';
}

function describeFlags(flags: number): string {
  const names = [
    ['CF', Flag.CF],
    ['ZF', Flag.ZF],
    ['SF', Flag.SF],
    ['OF', Flag.OF],
    ['IF', Flag.IF],
  ] as const;
  return `${hexWord(flags)} (${names.map(([n, bit]) => `${n}=${flags & bit ? 1 : 0}`).join(' ')})`;
}

/** Guest-visible differences between two views, in words; empty when they agree. */
export function compareViews(a: GuestView, b: GuestView, aName: string, bName: string, isMemoryCompared: boolean): string[] {
  const out: string[] = [];
  for (let i = 0; i < 16; i++) {
    if (a.regs[i] !== b.regs[i]) out.push(`${i === 15 ? 'sp' : `r${i}`}: ${aName} ${hexWord(a.regs[i])}, ${bName} ${hexWord(b.regs[i])}`);
  }
  if (a.pc !== b.pc) out.push(`pc: ${aName} ${hexWord(a.pc)}, ${bName} ${hexWord(b.pc)}`);
  if (a.flags !== b.flags) out.push(`flags: ${aName} ${describeFlags(a.flags)}, ${bName} ${describeFlags(b.flags)}`);
  if (a.isUser !== b.isUser) out.push(`mode: ${aName} ${a.isUser ? 'user' : 'kernel'}, ${bName} ${b.isUser ? 'user' : 'kernel'}`);
  if (a.cr3 !== b.cr3) out.push(`cr3: ${aName} ${hexWord(a.cr3)}, ${bName} ${hexWord(b.cr3)}`);
  if (a.evt !== b.evt) out.push(`evt: ${aName} ${hexWord(a.evt)}, ${bName} ${hexWord(b.evt)}`);
  if (a.ksp !== b.ksp) out.push(`ksp: ${aName} ${hexWord(a.ksp)}, ${bName} ${hexWord(b.ksp)}`);
  // Length and hash of all output, not the output itself: a guest that prints a lot costs nothing more per comparison.
  const ca = a.consoleDigest;
  const cb = b.consoleDigest;
  if (ca.length !== cb.length || ca.hashA !== cb.hashA || ca.hashB !== cb.hashB) {
    out.push(`console output: ${aName} ${JSON.stringify(latin1Text(a.console).slice(-40))}, ${bName} ${JSON.stringify(latin1Text(b.console).slice(-40))}`);
  }
  if (isMemoryCompared) {
    const ma = a.memory();
    const mb = b.memory();
    if (!bytesEqual(ma, mb)) {
      const length = Math.min(ma.length, mb.length);
      let first = 0;
      while (first < length && ma[first] === mb[first]) first++;
      const word = first & ~3;
      const read = (m: Uint8Array) => (m[word] | (m[word + 1] << 8) | (m[word + 2] << 16) | (m[word + 3] << 24)) >>> 0;
      out.push(`memory at physical ${hexWord(word)}: ${aName} ${hexWord(read(ma))}, ${bName} ${hexWord(read(mb))}`);
    }
  }
  return out;
}

function explain(op: number | undefined, setting: Virtualization): string {
  switch (op) {
    case Op.POPF:
      return `popf is sensitive but not privileged: under ${setting} the guest kernel runs in real user mode, where popf silently leaves IF unchanged instead of trapping, so the guest's (virtual) IF is not restored as it is on bare hardware. Interrupts the guest expects stay masked.`;
    case Op.PUSHF:
      return `pushf is sensitive but not privileged: under ${setting} it pushes the real flags, whose IF the hypervisor keeps set, not the guest's virtual IF, and it does not trap, so the hypervisor cannot correct it.`;
    case Op.MOV_R_EVT:
      return `mov rd, evt is sensitive but not privileged: under ${setting} it reads the real evt, the hypervisor's own vector table, instead of the guest's, and does not trap. A guest can use it to detect that it runs in a VM.`;
    case Op.VMCALL:
      return `vmcall is a hypercall: under ${setting} the hypervisor takes it, while bare hardware has no hypervisor and raises #UD (invalid opcode) through the guest's evt. A paravirtual kernel needs a hypervisor, so bare hardware is no reference for it.`;
    default:
      return `guest-visible state differs after this instruction under ${setting}.`;
  }
}

export function findDivergence(makeReference: () => VirtualSystem, makeOther: () => VirtualSystem, options: CompareOptions = {}): CompareResult {
  const chunk = options.chunk ?? DEFAULT_CHUNK;
  let reference: Side = { system: makeReference(), last: undefined };
  let other: Side = { system: makeOther(), last: undefined };
  const names = { reference: 'bare', other: other.system.setting.virtualization };
  let agreedUpTo = 0;
  let chunkStart = 0;
  let isDiverged = false;
  for (;;) {
    const target = chunkStart + chunk;
    runTo(reference, target);
    runTo(other, target);
    const differences = compareViews(reference.system.guest(0), other.system.guest(0), names.reference, names.other, true);
    if (stopOf(reference) !== stopOf(other)) differences.push(`run: ${names.reference} ${stopOf(reference)}, ${names.other} ${stopOf(other)}`);
    if (differences.length > 0) {
      isDiverged = true;
      break;
    }
    agreedUpTo = reference.system.guest(0).ticks;
    if (stopOf(reference) !== 'running') break;
    chunkStart = target;
  }
  const result = (divergence: Divergence | undefined): CompareResult => ({
    divergence,
    ticksCompared: agreedUpTo,
    reference: reference.last ?? { reason: 'budget', detail: '' },
    other: other.last ?? { reason: 'budget', detail: '' },
    referenceSetting: reference.system.settingName,
    otherSetting: other.system.settingName,
  });
  if (!isDiverged) return result(undefined);
  const chunkEnd = chunkStart + chunk;
  const chunkDifferences = compareViews(reference.system.guest(0), other.system.guest(0), names.reference, names.other, true);
  if (stopOf(reference) !== stopOf(other)) chunkDifferences.push(`run: ${names.reference} ${stopOf(reference)}, ${names.other} ${stopOf(other)}`);

  // Under binary translation a block runs whole and stopping at a tick changes
  // which blocks run (near a stop they are one instruction long), so first replay
  // the diverging chunk exactly as it ran and compare at every boundary between
  // blocks: the block after the last boundary that agrees holds the divergence.
  let window = { from: chunkStart, to: chunkEnd };
  let blockDivergence: Divergence | undefined;
  /** Last tick at which the block scan saw both runs agree (when it found no difference between blocks). */
  let lastBoundary = chunkStart;
  if (translatorOf(other.system) !== undefined) {
    const coarse = scanBlocks(MEMORY_STRIDE);
    const fine = coarse && coarse.lastMemoryCheck < coarse.lastAgreed ? (scanBlocks(MEMORY_STRIDE, coarse.lastMemoryCheck) ?? coarse) : coarse;
    if (fine) {
      window = { from: fine.lastAgreed, to: fine.tick };
      blockDivergence = fine.divergence;
    } else window = { from: lastBoundary, to: chunkEnd };
  }

  // Replay the window one tick at a time from fresh, deterministic runs: registers
  // each tick, all of memory every MEMORY_STRIDE ticks; then the stretch before the
  // first difference again with memory each tick, so the first diverging tick is exact.
  const coarse = scan(window.from, window.to, MEMORY_STRIDE);
  if (coarse) {
    const windowStart = Math.max(window.from, coarse.lastMemoryCheck);
    const fine = scan(windowStart, coarse.tick, 1) ?? coarse;
    agreedUpTo = fine.tick - 1;
    return result(fine.divergence);
  }
  if (blockDivergence) {
    agreedUpTo = window.from;
    return result(blockDivergence);
  }
  // Neither replay narrowed it down (the difference shows only with the real run's
  // block boundaries): report the chunk's difference from where it was last seen equal.
  agreedUpTo = window.from;
  replayTo(window.from);
  const at = reference.system.instructionAt(0);
  const before = reference.system.guest(0);
  return result({
    retired: before.retired,
    pc: before.pc,
    instruction: at.text,
    differences: chunkDifferences,
    explanation: `${explain(undefined, other.system.setting.virtualization)} (somewhere in the ${window.to - window.from} ticks from here)`,
  });

  /**
   * Fresh runs replayed with the real run's chunk boundaries up to the diverging
   * chunk; the other run then goes on with the chunk's end as its budget and stops
   * at its first exact block boundary at or after `pauseAt`.
   */
  function replayTo(pauseAt: number): void {
    reference = { system: makeReference(), last: undefined };
    other = { system: makeOther(), last: undefined };
    for (let tick = chunk; tick <= chunkStart; tick += chunk) {
      runTo(reference, tick);
      runTo(other, tick);
    }
    if (pauseAt > chunkStart) {
      const translator = translatorOf(other.system);
      if (translator) {
        translator.boundaryProbe = () => other.system.cpu.ticks >= pauseAt;
        runTo(other, chunkEnd);
        translator.boundaryProbe = undefined;
        if (other.last?.reason === 'requested') {
          other.last = undefined;
          other.system.cpu.stopReason = undefined;
        }
      } else runTo(other, pauseAt);
      runTo(reference, other.system.cpu.ticks);
    }
  }

  /** The diverging chunk as it really ran, compared at every exact boundary between translated blocks (memory every `memoryEvery` ticks, and from `memoryFrom` on at every one). */
  function scanBlocks(memoryEvery: number, memoryFrom = Infinity): { tick: number; lastAgreed: number; lastMemoryCheck: number; divergence: Divergence } | undefined {
    replayTo(chunkStart);
    const translator = translatorOf(other.system)!;
    let lastAgreed = chunkStart;
    let lastMemoryCheck = chunkStart;
    let before = { retired: reference.system.guest(0).retired, pc: reference.system.guest(0).pc, at: reference.system.instructionAt(0) };
    let found: { tick: number; lastAgreed: number; lastMemoryCheck: number; divergence: Divergence } | undefined;
    translator.boundaryProbe = () => {
      const tick = other.system.cpu.ticks;
      if (tick <= lastAgreed) return false;
      runTo(reference, tick);
      const isMemoryCompared = tick - lastMemoryCheck >= memoryEvery || tick >= memoryFrom;
      const differences = compareViews(reference.system.guest(0), other.system.guest(0), names.reference, names.other, isMemoryCompared);
      if (stopOf(reference) !== 'running') differences.push(`run: ${names.reference} ${stopOf(reference)}, ${names.other} running`);
      if (differences.length > 0) {
        const instructions = tick - lastAgreed;
        found = {
          tick,
          lastAgreed,
          lastMemoryCheck,
          divergence: {
            retired: before.retired,
            pc: before.pc,
            instruction: before.at.text,
            differences,
            explanation: `${explain(before.at.op, other.system.setting.virtualization)} (binary translation ran ${instructions} instruction${instructions === 1 ? '' : 's'} from here in one translated block, as in the real run; the difference shows at its end)`,
          },
        };
        return true;
      }
      lastAgreed = tick;
      if (isMemoryCompared) lastMemoryCheck = tick;
      const view = reference.system.guest(0);
      before = { retired: view.retired, pc: view.pc, at: reference.system.instructionAt(0) };
      return false;
    };
    runTo(other, chunkEnd);
    translator.boundaryProbe = undefined;
    lastBoundary = lastAgreed;
    return found;
  }

  /** Fresh runs to `from`, then tick by tick to `to`; the first tick whose state differs. */
  function scan(from: number, to: number, memoryEvery: number): { tick: number; lastMemoryCheck: number; divergence: Divergence } | undefined {
    replayTo(from);
    from = other.system.cpu.ticks > from ? other.system.cpu.ticks : from;
    let lastMemoryCheck = from;
    for (let tick = from + 1; tick <= to; tick++) {
      const before = reference.system.guest(0);
      const at = reference.system.instructionAt(0);
      const pc = before.pc;
      const retired = before.retired;
      runTo(reference, tick);
      runTo(other, tick);
      const isStopped = stopOf(reference) !== 'running' || stopOf(other) !== 'running';
      const isMemoryCompared = (tick - from) % memoryEvery === 0 || tick === to || isStopped;
      const differences = compareViews(reference.system.guest(0), other.system.guest(0), names.reference, names.other, isMemoryCompared);
      if (stopOf(reference) !== stopOf(other)) differences.push(`run: ${names.reference} ${stopOf(reference)}, ${names.other} ${stopOf(other)}`);
      if (differences.length > 0) {
        return { tick, lastMemoryCheck, divergence: { retired, pc, instruction: at.text, differences, explanation: explain(at.op, other.system.setting.virtualization) } };
      }
      if (isMemoryCompared) lastMemoryCheck = tick;
      if (isStopped) return undefined;
    }
    return undefined;
  }
}

function translatorOf(system: VirtualSystem) {
  return system.hypervisor?.guests[0]?.translator;
}

export function formatDivergence(result: CompareResult): string {
  if (!result.divergence) {
    return `no divergence: ${result.otherSetting} matched bare hardware on guest-visible state for ${result.ticksCompared} ticks (${result.reference.reason} / ${result.other.reason})\n`;
  }
  const d = result.divergence;
  return [
    `divergence under ${result.otherSetting} after ${d.retired} instructions:`,
    `  at pc ${hexWord(d.pc)}: ${d.instruction}`,
    ...d.differences.map((line) => `  ${line}`),
    `  ${d.explanation}`,
    '',
  ].join('\n');
}
