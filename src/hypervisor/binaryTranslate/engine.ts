// The binary-translation engine (g32-isa.md §7, `virtualization:
// binary-translation`): while a guest runs in pretend kernel mode its code is
// executed as translated, cached and chained blocks instead of by the
// interpreter; user-mode code still runs directly on the real CPU. Pages that
// hold translated code are write-protected in every shadow: a guest write to
// one is emulated and drops exactly the translations it overlaps.
//
// Translation is tiered: until a block has run TRANSLATION_THRESHOLD times it
// runs on the real CPU's interpreter in block mode (Cpu.blockMode), which stops
// at the block's end and before every instruction a translation would hand to
// the hypervisor, so those reach it exactly as from translated code; only then is
// the block decoded and translated. Blocks decoded for another reason (adaptive
// ones, one-instruction call-outs) run in the block interpreter (interpret.ts)
// until hot. And translation is adaptive (adaptive.ts): an instruction that keeps
// trapping into emulation is retranslated to call it.

import { BlockEnd, StopReason } from '../../machine/cpu';
import { decode, DecodedInstr } from '../../machine/decode';
import { Flag, FLAGS_MASK, isPrivilegedOp, Op, PAGE_SIZE, Pte, Vector } from '../../machine/isa';
import { formatInstr, hexWord } from '../../machine/format';
import { GuestAccess, GuestMemory } from '../guestMemory';
import type { Guest } from '../guest';
import type { Hypervisor } from '../hypervisor';
import { reflect } from '../reflect';
import { emulatePrivileged } from '../trapEmulate';
import { MAX_ENTRY_COUNT, TranslationCache } from './cache';
import { ADAPTIVE_TRAP_LIMIT, runAdaptive } from './adaptive';
import { decodeForInterpreter, interpretBlock } from './interpret';
import { AdaptiveReason, BlockEnv, BlockInstr, endsBlockAt, isAdaptable, isCallOut, MAX_BLOCK_INSTRUCTIONS, staticSuccessors, TranslatedBlock, translationOf, writesMemory } from './translate';

/** Writes to a code frame that hit no translation before the frame is treated as hot (see TranslationCache). */
export const HOT_FRAME_WRITES = 4;

/**
 * Runs of a block (interpreted) before it is translated: cold code, run once
 * or twice at boot, is not worth a translation. Chosen by measuring the
 * example OS's wall time (docs/hypervisor.md, "Binary translation").
 */
export const TRANSLATION_THRESHOLD = 32;

const NO_CODE = new Uint8Array(0);

export interface BinaryTranslationOptions {
  /** Runs before a block is translated (default TRANSLATION_THRESHOLD); 0 or 1: translate on first sight. */
  translationThreshold?: number;
  /** Retranslate instructions that keep trapping so that they call their emulation (default true). */
  isAdaptive?: boolean;
}

export class BinaryTranslator implements BlockEnv {
  readonly cache = new TranslationCache();

  /**
   * Called between two blocks where the state is exactly bare hardware's at that
   * tick (the last block ran to its end, nothing delivered since); returning true
   * stops the run there ('requested'). For the divergence finder, which must see
   * translated blocks run with the budgets of the real run.
   */
  boundaryProbe: (() => boolean) | undefined = undefined;

  /** Runs of a block before it is translated (1: on first sight). */
  readonly translationThreshold: number;
  /** Traps at one instruction before adaptive retranslation (0: never). */
  readonly adaptiveTrapLimit: number;

  constructor(
    private readonly hv: Hypervisor,
    private readonly guest: Guest,
    options: BinaryTranslationOptions = {},
  ) {
    this.translationThreshold = Math.max(1, options.translationThreshold ?? TRANSLATION_THRESHOLD);
    this.adaptiveTrapLimit = options.isAdaptive === false ? 0 : ADAPTIVE_TRAP_LIMIT;
  }

  /** Runs the guest's pretend-kernel code until it leaves pretend kernel mode, or a stop. */
  run(): StopReason {
    const hv = this.hv;
    const cpu = hv.cpu;
    const guest = this.guest;
    const regs = cpu.regs;
    const counters = guest.counters;
    cpu.stopReason = undefined;
    const skipAt = cpu.skipBreakpointAt;
    const startTicks = cpu.ticks;
    cpu.skipBreakpointAt = -1;
    let previous: TranslatedBlock | undefined;
    let isExactBoundary = false;
    // The CPU stopped in block mode before an instruction the hypervisor runs: run it as a one-instruction block.
    let isCallOutNext = false;
    // Cold code stopped at the event tick inside its block: the rest of the block is not a block entry of its own.
    let isMidBlock = false;
    for (;;) {
      if (isExactBoundary && this.boundaryProbe !== undefined && this.boundaryProbe()) return (cpu.stopReason = 'requested');
      isExactBoundary = false;
      if (cpu.ticks >= cpu.eventTick) {
        const stop = cpu.serviceAll();
        if (stop !== undefined) return (cpu.stopReason = stop);
        previous = undefined;
        if (hv.current !== guest) return 'switch-engine';
        if (cpu.isHalted) continue;
      }
      if (cpu.stopReason !== undefined) return cpu.stopReason;
      // (The guest may have been switched out in a block's call-out, which services the platform.)
      if (guest.isPretendUser || hv.current !== guest) return 'switch-engine';
      const pc = cpu.pc;
      const filter = cpu.breakpointFilter;
      if (filter !== null && filter[pc & 0xffff] !== 0 && cpu.breakpoints.has(pc >>> 0) && !(pc === skipAt && cpu.ticks === startTicks)) {
        return (cpu.stopReason = 'breakpoint');
      }
      // Blocks run whole; one that does not fit before the next event tick runs on the CPU, which stops at that tick.
      const budget = cpu.eventTick - cpu.ticks;
      let block: TranslatedBlock | undefined;
      if (isCallOutNext) {
        isCallOutNext = false;
        block = this.cache.lookupSingle(pc) ?? this.cache.lookupSingleAt(cpu.blockEndPa, pc) ?? this.translate(pc, 1);
        if (block === undefined) {
          previous = undefined;
          continue;
        }
        this.cache.rememberVirtual(block, true);
      } else {
        if (previous !== undefined && previous.chainGeneration === this.cache.generation) {
          block = pc === previous.targetPc ? previous.chainTarget : pc === previous.nextPc ? previous.chainNext : undefined;
          if (block !== undefined) counters.chainedJumps++;
        }
        if (block === undefined) {
          block = this.cache.lookupVirtual(pc);
          if (block !== undefined) counters.translationCacheHits++;
        }
        if (block === undefined) {
          // Cold code: counted by its start, decoded and translated once hot (or when adaptive translation needs it decoded).
          const runs = isMidBlock ? 0 : this.cache.noteColdRun(pc);
          if (!isMidBlock && (runs >= this.translationThreshold || this.cache.mustDecode.has(pc))) {
            block = this.translate(pc, MAX_BLOCK_INSTRUCTIONS);
            if (block === undefined) {
              previous = undefined;
              continue;
            }
            if (block.executions < runs - 1) block.executions = runs - 1;
          }
        }
        // A breakpoint inside the block, or too little budget: the CPU runs it, stopping where it must.
        if (block === undefined || block.instrs.length > budget || (filter !== null && this.hasBreakpointAfterStart(block))) {
          previous = undefined;
          isExactBoundary = true;
          isMidBlock = false;
          switch (this.runCold(pc)) {
            case BlockEnd.CALL_OUT:
              isCallOutNext = true;
              break;
            case BlockEnd.FAULT:
              isExactBoundary = false;
              break;
            case BlockEnd.EVENT:
              isMidBlock = pc !== cpu.pc;
              break;
            case BlockEnd.JUMP:
            case BlockEnd.NONE:
              break;
          }
          continue;
        }
      }
      // Only blocks decoded on a hot frame keep their bytes (a frame turning hot drops its blocks), so only they are checked.
      if (block.isChecked && !this.isUnchanged(block)) {
        // Code on a hot frame changed without a trap: translate it again.
        this.cache.drop(block);
        guest.counters.translationInvalidations++;
        previous = undefined;
        continue;
      }
      isMidBlock = false;
      // (A block that is one call into the hypervisor is found as such, never by a chain.)
      if (previous !== undefined && !isCallOutOnly(block)) this.link(previous, block, pc);
      block.executions++;
      if (!block.isTranslated && block.executions >= this.translationThreshold && !isCallOutOnly(block)) this.compileBlock(block);
      if (block.isTranslated) block.fn(cpu, regs, this, block);
      else {
        const start = cpu.ticks;
        block.fn(cpu, regs, this, block);
        counters.instructionsInterpreted += cpu.ticks - start;
      }
      if (cpu.fault !== 0) {
        if (this.adaptiveTrapLimit === 0) cpu.raiseFault();
        else this.raiseNotingEmulation(block);
        previous = undefined;
        continue;
      }
      isExactBoundary = true;
      previous = isCallOutOnly(block) ? undefined : block;
    }
  }

  /**
   * Runs cold code at `entry` on the CPU in block mode, up to its block's end (or
   * the event tick, a breakpoint, a fault or an instruction for the hypervisor);
   * returns why it stopped. A fault is raised here, noted for adaptive translation.
   */
  private runCold(entry: number): BlockEnd {
    const cpu = this.hv.cpu;
    const start = cpu.ticks;
    // The run loop has checked the breakpoint at `entry`.
    cpu.skipBreakpointAt = entry;
    cpu.blockMode = true;
    cpu.blockEntryCounts = this.cache.entryCounts;
    // Above MAX_ENTRY_COUNT nothing turns hot: the CPU still stops where the count saturated, or must stop.
    cpu.blockEntryLimit = Math.min(this.translationThreshold, MAX_ENTRY_COUNT + 1);
    cpu.blockEntryPc = entry;
    const stop = cpu.run();
    cpu.blockMode = false;
    this.guest.counters.instructionsInterpreted += cpu.ticks - start;
    if (stop !== 'switch-engine') return BlockEnd.NONE;
    const end = cpu.blockEnd;
    cpu.blockEnd = BlockEnd.NONE;
    // The block the faulting instruction is in starts at the last entry the run went through.
    if (end === BlockEnd.FAULT) this.raiseNotingColdEmulation(cpu.blockEntryPc);
    return end;
  }

  /**
   * Does a breakpoint sit on one of the block's instructions after its first (which
   * the loop checks itself), or on its first when the block jumps back to it (it
   * would loop inside its function past the breakpoint)?
   */
  private hasBreakpointAfterStart(block: TranslatedBlock): boolean {
    const cpu = this.hv.cpu;
    const filter = cpu.breakpointFilter;
    if (filter === null) return false;
    if (block.targetPc === block.gva && filter[block.gva & 0xffff] !== 0 && cpu.breakpoints.has(block.gva >>> 0)) return true;
    for (let i = 1; i < block.instrs.length; i++) {
      const pc = block.instrs[i].pc;
      if (filter[pc & 0xffff] !== 0 && cpu.breakpoints.has(pc >>> 0)) return true;
    }
    return false;
  }

  /** For a block on a hot (unprotected) frame: are its bytes still those it was translated from? */
  private isUnchanged(block: TranslatedBlock): boolean {
    const codeWords = block.codeWords;
    if (codeWords !== undefined) {
      const words = this.guest.memory.machine.words;
      const first = block.codeMachine[0] >> 2;
      for (let i = 0; i < codeWords.length; i++) if (words[first + i] !== codeWords[i]) return false;
      return true;
    }
    const bytes = this.guest.memory.machine.bytes;
    let offset = 0;
    for (let r = 0; r < block.ranges.length; r++) {
      const [start, end] = block.ranges[r];
      const ma = block.codeMachine[r];
      for (let i = 0; i < end - start; i++) if (bytes[ma + i] !== block.code[offset + i]) return false;
      offset += end - start;
    }
    return true;
  }

  private link(previous: TranslatedBlock, block: TranslatedBlock, pc: number): void {
    if (previous.chainGeneration !== this.cache.generation) {
      previous.chainTarget = undefined;
      previous.chainNext = undefined;
      previous.chainGeneration = this.cache.generation;
    }
    if (pc === previous.targetPc) previous.chainTarget = block;
    else if (pc === previous.nextPc) previous.chainNext = block;
  }

  /** Translates the block at `pc` (reflecting a fault if its first instruction cannot be fetched). */
  private translate(pc: number, maxInstructions: number): TranslatedBlock | undefined {
    const hv = this.hv;
    const guest = this.guest;
    const walk = guest.memory.walk(guest.cr3, pc, GuestAccess.FETCH, false);
    if (walk.gpa === -2) {
      hv.busError(guest, guest.memory.busErrorAddress);
      return undefined;
    }
    if (walk.gpa === -1) {
      reflect(hv, guest, Vector.PF, walk.errorCode, pc);
      return undefined;
    }
    // Code fetched from the console page reads as zeros: an undefined instruction, as on bare hardware.
    if (GuestMemory.isConsole(walk.gpa)) {
      hv.cpu.setFault(Vector.UD, 0, 0);
      hv.cpu.raiseFault();
      return undefined;
    }
    if (!guest.memory.isRam(walk.gpa)) {
      hv.busError(guest, walk.gpa);
      return undefined;
    }
    let cached = maxInstructions > 1 ? this.cache.lookupPhysical(walk.gpa, pc) : this.cache.lookupSingleAt(guest.memory.toMachine(walk.gpa), pc);
    // A block that goes on onto a second page is reused only if that page is still where it was, and accessed.
    if (cached && cached.ranges.length === 2 && this.nextCodePage((pc | 0xfff) + 1) !== cached.ranges[1][0]) cached = undefined;
    if (cached) {
      this.cache.rememberVirtual(cached, maxInstructions === 1);
      guest.counters.translationCacheHits++;
      return cached;
    }
    const instrs: BlockInstr[] = [];
    // (Plain arrays and indexed loops here: this runs for every block decoded, and iterators and small Sets cost more.)
    const frames: number[] = [walk.gpa >>> 12];
    const ranges: Array<[number, number]> = [];
    let secondPageGpa = -1;
    // Stores to a hot frame do not trap, so there a block ends after each store: the
    // next block's bytes are checked when it is entered (see isUnchanged), and no
    // block, looping or not, runs on past a store into its own code.
    let isHot = this.cache.hotFrames.has(walk.gpa >>> 12);
    let at = pc;
    // Adaptive translation: instructions the block hands to the emulation, and why the first one is.
    let adaptive: AdaptiveReason | undefined;
    const adaptiveAt: number[] = [];
    // Bytes of the block before the end of its first page; a block may go on onto the next page (see nextCodePage).
    const firstPageLeft = PAGE_SIZE - (pc & 0xfff);
    while (instrs.length < maxInstructions) {
      const offset = at - pc;
      let fetched: { instr: DecodedInstr; crossesPage: boolean } | undefined;
      // The first instruction: read from the frame just walked (which set its A bit) when it lies on that page and decodes;
      // else through the guest's mappings, which reflect the fault or raise #UD as the hardware would.
      if (instrs.length === 0) fetched = ((pc & 0xfff) + 8 <= PAGE_SIZE ? this.fetchOnPage(walk.gpa) : undefined) ?? this.fetch(at, true);
      else if (offset < firstPageLeft) {
        // Later instructions on the first one's page are read straight from its frame: a walk would find the same entry, already accessed.
        if ((at & 0xfff) + 8 <= PAGE_SIZE) fetched = this.fetchOnPage(walk.gpa + offset);
        else {
          if (secondPageGpa < 0 && maxInstructions > 1) secondPageGpa = this.nextCodePage((at | 0xfff) + 1);
          fetched = secondPageGpa >= 0 ? this.fetchAcross(walk.gpa + offset, secondPageGpa) : this.fetch(at, false);
        }
      } else {
        if (secondPageGpa < 0) secondPageGpa = this.nextCodePage(at);
        // On the second page, up to its last 8 bytes: a block spans two pages at most.
        if (secondPageGpa < 0 || (at & 0xfff) + 8 > PAGE_SIZE) break;
        fetched = this.fetchOnPage(secondPageGpa + (at & 0xfff));
      }
      if (fetched === undefined) break;
      const instr = fetched.instr;
      const crossesPage = fetched.crossesPage;
      if (crossesPage && instrs.length === 0) {
        const second = guest.memory.walk(guest.cr3, (at | 0xfff) + 1, GuestAccess.FETCH, false, false);
        if (second.gpa >= 0) secondPageGpa = second.gpa;
      } else if (crossesPage && (offset >= firstPageLeft || secondPageGpa < 0)) break;
      const reason = this.cache.adaptive.size !== 0 ? this.cache.adaptive.get(offset < firstPageLeft ? walk.gpa + offset : secondPageGpa + (at & 0xfff)) : undefined;
      const isAdaptive = reason !== undefined && isAdaptable(instr);
      if (isAdaptive) {
        adaptive ??= reason;
        adaptiveAt.push(instrs.length);
      }
      if (crossesPage || offset >= firstPageLeft) isHot ||= this.cache.hotFrames.has(secondPageGpa >>> 12);
      instrs.push({ pc: at, instr });
      at = (at + instr.length) | 0;
      // (An adaptive store need not end it: the block goes on only after an emulated write, which reports writes to code.)
      if (endsBlockAt(instr, pc) || (isHot && writesMemory(instr) && !isAdaptive)) break;
      // A first instruction that crosses a page (fetched through the guest's walk) is a block of its own, as ever.
      if (crossesPage && instrs.length === 1) break;
    }
    if (instrs.length === 0) return undefined;
    const length = at - pc;
    const onFirstPage = Math.min(length, PAGE_SIZE - (walk.gpa & 0xfff));
    ranges.push([walk.gpa, walk.gpa + onFirstPage]);
    if (secondPageGpa >= 0 && length > onFirstPage) {
      ranges.push([secondPageGpa, secondPageGpa + length - onFirstPage]);
      if (frames[0] !== secondPageGpa >>> 12) frames.push(secondPageGpa >>> 12);
    }
    // Only blocks on hot frames check their bytes (blocks of a frame that turns hot are dropped then), so only they keep a copy;
    // and one-instruction call-outs, which protect no page: checking their few bytes costs less than a protected page's traps.
    const isSingle = maxInstructions === 1;
    if (isSingle) isHot = true;
    const codeMachine: number[] = [];
    for (let r = 0; r < ranges.length; r++) codeMachine.push(guest.memory.toMachine(ranges[r][0]));
    // A block on one page keeps the words its code lies on, in a plain array (a small typed array costs more to make): checking
    // them is a few compares. The bytes of the edge words around unaligned code are checked too: a write there retranslates.
    let code = NO_CODE;
    let codeWords: number[] | undefined;
    if (isHot && ranges.length === 1) {
      const words = guest.memory.machine.words;
      codeWords = [];
      for (let w = codeMachine[0] >> 2; w <= (codeMachine[0] + length - 1) >> 2; w++) codeWords.push(words[w]);
    } else if (isHot) {
      code = new Uint8Array(length);
      let offset = 0;
      for (let r = 0; r < ranges.length; r++) {
        const size = ranges[r][1] - ranges[r][0];
        code.set(guest.memory.machine.bytes.subarray(codeMachine[r], codeMachine[r] + size), offset);
        offset += size;
      }
    }
    const { targetPc, nextPc } = staticSuccessors(instrs[instrs.length - 1]);
    const block: TranslatedBlock = {
      gva: pc,
      gpa: walk.gpa,
      instrs,
      decoded: decodeForInterpreter(instrs, adaptiveAt),
      source: '',
      fn: interpretBlock,
      isTranslated: false,
      adaptive,
      adaptiveAt,
      targetPc,
      nextPc,
      chainTarget: undefined,
      chainNext: undefined,
      chainGeneration: -1,
      executions: 0,
      frames,
      ranges,
      code,
      codeMachine,
      isChecked: isHot,
      codeWords,
    };
    if (isSingle) {
      this.cache.insert(block, true);
      if (this.translationThreshold <= 1) this.compileBlock(block);
      return block;
    }
    const newFrames: number[] = [];
    for (const frame of frames) if (!this.cache.hasCode(frame) && !this.cache.hotFrames.has(frame)) newFrames.push(frame);
    this.cache.insert(block, false);
    // Writes that bypass the shadow (page walks, the hypervisor, the debugger) are reported by machine memory.
    for (const frame of block.frames) guest.memory.machine.watchedFrames[guest.memory.toMachine(frame << 12) >>> 12] = 1;
    // Code pages are write-protected from now on, so that a write to them drops their translations.
    for (const frame of newFrames) guest.shadow.writeProtectFrame(guest.memory.toMachine(frame << 12));
    if (newFrames.length > 0) hv.flushRealTlb(undefined);
    if (this.translationThreshold <= 1) this.compileBlock(block);
    return block;
  }

  /** The block became hot: from now on it runs as JavaScript. */
  private compileBlock(block: TranslatedBlock): void {
    const hv = this.hv;
    const guest = this.guest;
    const { source, fn } = translationOf(block);
    block.source = source;
    block.fn = fn;
    block.isTranslated = true;
    guest.counters.translations++;
    if (hv.hvEvents.isActive) {
      const n = block.instrs.length;
      const what = `translated a block of ${n} instruction${n === 1 ? '' : 's'} at ${hexWord(block.gva)}${block.executions > 1 ? ` after ${block.executions - 1} runs interpreted` : ''}${block.adaptive ? ', with a direct call of the emulation' : ''}`;
      hv.emit(hv.event('bt-translate', guest, block.gva, formatInstr(block.instrs[0].instr), what, { address: block.gpa }));
    }
  }

  /**
   * Raises the fault a block left; when it ended in an emulation (console or
   * protected page) counts a trap at that instruction, and after
   * adaptiveTrapLimit of them retranslates its block to emulate it directly.
   */
  private raiseNotingEmulation(block: TranslatedBlock): void {
    const pc = this.hv.cpu.pc;
    const faultAddress = this.hv.cpu.faultAddress;
    const emulated = this.raiseSeeingEmulation();
    if (emulated === undefined) return;
    const index = block.instrs.findIndex((i) => i.pc === pc);
    if (index < 0 || !isAdaptable(block.instrs[index].instr)) return;
    const gpa = block.gpa + (pc - block.gva);
    const reason = this.noteEmulationTrap(gpa, faultAddress, emulated);
    if (reason === undefined) return;
    this.cache.makeAdaptive(block, gpa, reason);
    this.emitRetranslation(block.gva, block.instrs[0].instr, block.instrs[index].instr, block.gpa, reason);
  }

  /**
   * Raises the fault cold code left (see raiseNotingEmulation); when it ended in
   * an emulation often enough, the instruction becomes adaptive and the block at
   * `entry` is decoded at its next run, to call the emulation.
   */
  private raiseNotingColdEmulation(entry: number): void {
    const cpu = this.hv.cpu;
    const guest = this.guest;
    if (this.adaptiveTrapLimit === 0) {
      cpu.raiseFault();
      return;
    }
    const pc = cpu.pc;
    const faultAddress = cpu.faultAddress;
    const emulated = this.raiseSeeingEmulation();
    if (emulated === undefined) return;
    // The instruction was just fetched: its page is mapped, and reading it again sets no bit a fetch did not.
    const code = guest.memory.walk(guest.cr3, pc, GuestAccess.FETCH, false, false);
    if (code.gpa < 0 || !guest.memory.isRam(code.gpa) || (pc & 0xfff) + 8 > PAGE_SIZE) return;
    const instr = this.fetchOnPage(code.gpa)?.instr;
    if (instr === undefined || !isAdaptable(instr)) return;
    const reason = this.noteEmulationTrap(code.gpa, faultAddress, emulated);
    if (reason === undefined) return;
    this.cache.makeAdaptiveAt(code.gpa, reason, entry);
    this.emitRetranslation(entry, instr, instr, code.gpa, reason);
  }

  /** Raises the fault the CPU holds; says whether the hypervisor then emulated the access, and what it was. */
  private raiseSeeingEmulation(): 'console' | 'protected-page' | undefined {
    const counters = this.guest.counters;
    const io = counters.ioEmulated;
    const protectedWrites = counters.writeProtectEmulations;
    this.hv.cpu.raiseFault();
    return counters.ioEmulated !== io ? 'console' : counters.writeProtectEmulations !== protectedWrites ? 'protected-page' : undefined;
  }

  /**
   * Counts a trap into an emulation at the instruction at `gpa`; once it has taken
   * adaptiveTrapLimit of them, returns why it keeps trapping (its first reason, if
   * it was made adaptive before), else undefined.
   */
  private noteEmulationTrap(gpa: number, faultAddress: number, emulated: 'console' | 'protected-page'): AdaptiveReason | undefined {
    const traps = this.cache.noteTrap(gpa);
    if (traps < this.adaptiveTrapLimit) return undefined;
    const guest = this.guest;
    const walk = guest.memory.walk(guest.cr3, faultAddress, GuestAccess.WRITE, false, false);
    const kind = emulated === 'console' ? 'console' : walk.gpa >= 0 && this.cache.hasCode(walk.gpa >>> 12) ? 'code-page' : 'page-table';
    return this.cache.adaptive.get(gpa) ?? { kind, traps };
  }

  /** Tells the trace and timeline that the block at `entry` (starting with `first`) now calls the emulation of `instr`. */
  private emitRetranslation(entry: number, first: DecodedInstr, instr: DecodedInstr, gpa: number, reason: AdaptiveReason): void {
    const hv = this.hv;
    // (Text only for a listener: formatting costs more than the retranslation itself.)
    if (!hv.hvEvents.isActive) return;
    const text = formatInstr(instr);
    const what = `retranslated the block at ${hexWord(entry)} to call the emulation of \`${text}\`, which ${describeAdaptive(reason)}: no trap from now on`;
    hv.emit(hv.event('bt-translate', this.guest, entry, formatInstr(first), what, { address: gpa }));
  }

  /**
   * The guest-physical page at `va` (a page start), when a block may go on onto it:
   * mapped to RAM and already accessed (or paging off), so reading its code without
   * a walk's side effects is what the hardware's fetch would leave; else -1. A block
   * that reaches it is reused only while this still holds (see translate).
   */
  private nextCodePage(va: number): number {
    const guest = this.guest;
    const next = guest.memory.walk(guest.cr3, va, GuestAccess.FETCH, false, false);
    if (next.gpa < 0 || GuestMemory.isConsole(next.gpa) || !guest.memory.isRam(next.gpa, PAGE_SIZE)) return -1;
    if (guest.cr3 !== 0 && (next.pde & next.pte & Pte.A) === 0) return -1;
    return next.gpa;
  }

  /** Decodes the instruction at `gpa`, in the last 8 bytes of its page, reading on at `nextPageGpa` (RAM): undefined ends the block. */
  private fetchAcross(gpa: number, nextPageGpa: number): { instr: DecodedInstr; crossesPage: boolean } | undefined {
    const memory = this.guest.memory;
    const left = PAGE_SIZE - (gpa & 0xfff);
    let word0 = 0;
    let word1 = 0;
    for (let i = 0; i < 8; i++) {
      const byte = memory.readByte(i < left ? gpa + i : nextPageGpa + (i - left));
      if (i < 4) word0 |= byte << (8 * i);
      else word1 |= byte << (8 * (i - 4));
    }
    const instr = decode(word0 | 0, word1 | 0);
    return instr === undefined ? undefined : { instr, crossesPage: instr.length > left };
  }

  /** Decodes the instruction at `gpa`, on the page of the block's first instruction (RAM): undefined ends the block. */
  private fetchOnPage(gpa: number): { instr: DecodedInstr; crossesPage: boolean } | undefined {
    const memory = this.guest.memory;
    const instr = decode(memory.read(gpa, 4), memory.read(gpa + 4, 4));
    return instr === undefined ? undefined : { instr, crossesPage: false };
  }

  /**
   * Reads and decodes one instruction. For the first instruction of a block a
   * fault is the guest's (reflected) and an undefined encoding raises #UD; later
   * ones just end the block before them.
   */
  private fetch(pc: number, isFirst: boolean): { instr: DecodedInstr; crossesPage: boolean } | undefined {
    const hv = this.hv;
    const guest = this.guest;
    const v = guest.virtual;
    const word0 = v.read(pc, 4, GuestAccess.FETCH, false);
    let failed = v.fault !== undefined || v.isBusError;
    let instr: DecodedInstr | undefined;
    if (!failed) {
      const length = decode(word0, 0)?.length ?? 4;
      const word1 = length === 8 ? v.read((pc + 4) | 0, 4, GuestAccess.FETCH, false) : 0;
      failed = v.fault !== undefined || v.isBusError;
      if (!failed) instr = decode(word0, word1);
    }
    if (instr === undefined) {
      if (isFirst) {
        if (v.isBusError) hv.busError(guest, guest.memory.busErrorAddress);
        else if (v.fault) reflect(hv, guest, Vector.PF, v.fault.errorCode, v.fault.address);
        else {
          hv.cpu.setFault(Vector.UD, 0, 0);
          hv.cpu.raiseFault();
        }
      }
      return undefined;
    }
    return { instr, crossesPage: (pc & 0xfff) + instr.length > PAGE_SIZE };
  }

  /** A block's call into the hypervisor: cpu.pc, ticks and flags are exact at instruction `index` (see BlockEnv.callOut). */
  callOut(block: TranslatedBlock, index: number): boolean {
    const hv = this.hv;
    const cpu = hv.cpu;
    const guest = this.guest;
    const { pc, instr } = block.instrs[index];
    const next = (pc + instr.length) | 0;
    if (block.adaptiveAt.length !== 0 && block.adaptiveAt.includes(index)) {
      const generation = this.cache.generation;
      const isEmulated = runAdaptive(hv, guest, this.cache, instr);
      // An ordinary store on a hot frame may have changed this very block unseen; an emulated one reports writes to code
      // (dropping blocks). A changed mapping also ends the block here.
      if ((!isEmulated && writesMemory(instr)) || cpu.fault !== 0 || this.cache.generation !== generation) return false;
      // An emulation that asks for the platform to be serviced (as after a trap; a store does not) has it done here, as the run loop would before
      // the next block; the block goes on if that delivered nothing, stopped nothing and switched nothing.
      if (cpu.ticks >= cpu.eventTick) {
        const stop = cpu.serviceAll();
        if (stop !== undefined) {
          cpu.stopReason = stop;
          return false;
        }
      }
      return cpu.pc === next && cpu.stopReason === undefined && hv.current === guest && !cpu.isHalted && !guest.isPretendUser && this.cache.generation === generation;
    }
    this.runCallOut(instr, pc, next);
    return false;
  }

  /** A privileged, sensitive or trapping instruction the block handed over, run as the hypervisor does. */
  private runCallOut(instr: DecodedInstr, pc: number, next: number): void {
    const hv = this.hv;
    const cpu = hv.cpu;
    const guest = this.guest;
    const regs = cpu.regs;
    const op = instr.info.op;
    switch (op) {
      case Op.PUSHF: {
        const sp = (regs[15] - 4) | 0;
        cpu.store32(sp, guest.guestFlags(cpu.flags));
        if (cpu.fault !== 0) return;
        // Counted once it retires: a faulting push (a hidden page fault) runs again.
        guest.counters.sensitiveInstructions++;
        regs[15] = sp;
        hv.retireEmulated(next);
        return;
      }
      case Op.POPF: {
        const value = cpu.load32(regs[15]);
        if (cpu.fault !== 0) return;
        guest.counters.sensitiveInstructions++;
        regs[15] = (regs[15] + 4) | 0;
        // The translation gives popf its bare-hardware effect on the guest's virtual IF.
        guest.virtualIF = (value & Flag.IF) !== 0;
        cpu.flags = (value & FLAGS_MASK & ~Flag.IF) | Flag.IF;
        hv.retireEmulated(next);
        return;
      }
      case Op.MOV_R_EVT:
        guest.counters.sensitiveInstructions++;
        regs[instr.a] = guest.evt;
        hv.retireEmulated(next);
        return;
      case Op.SYSCALL:
      case Op.BRK:
        // Traps retire before their effect; the translation calls the reflection directly.
        hv.retireEmulated(next);
        reflect(hv, guest, op === Op.SYSCALL ? Vector.SYSCALL : Vector.BP, 0, 0);
        return;
      case Op.VMCALL:
        cpu.setFault(Vector.UD, 0, 0);
        return;
      default:
        // Only privileged instructions are left: anything else here is a translator bug, said as one.
        if (!isPrivilegedOp(op)) throw new Error(`binary translation called out for ${instr.info.mnemonic}, which the hypervisor does not emulate`);
        emulatePrivileged(hv, guest, instr);
    }
  }

  /** The guest changed its mappings (cr3 load, invlpg): virtual lookups must walk again. */
  onMappingsChanged(): void {
    this.cache.forgetVirtual();
  }

  /**
   * A write to guest memory by anyone but the guest's own unchecked stores (an
   * emulated store, a frame push, a page walk's A/D bits, the debugger): drops
   * the translations whose bytes it overlaps.
   */
  onCodeWrite(gpa: number, size: number): void {
    const frame = gpa >>> 12;
    if (!this.cache.hasCode(frame)) return;
    const dropped = this.cache.invalidateOverlapping(gpa, size);
    this.guest.counters.translationInvalidations += dropped;
    // Data sharing a page with code: after a few writes, stop trapping them (the next write refills the shadow writable).
    // Blocks translated before lack the store boundaries a hot frame needs (see translate): translate them again.
    if (dropped === 0 && this.cache.noteDataWrite(frame, HOT_FRAME_WRITES)) {
      this.guest.counters.translationInvalidations += this.cache.invalidateFrame(frame);
    }
  }
}

/** A block that is one call into the hypervisor: translating it would save nothing. */
function isCallOutOnly(block: TranslatedBlock): boolean {
  return block.instrs.length === 1 && (block.adaptiveAt.length !== 0 || isCallOut(block.instrs[0].instr));
}

/** Why an instruction was retranslated, in words (trace, panel). */
export function describeAdaptive(reason: AdaptiveReason): string {
  const what = reason.kind === 'console' ? 'stores to the memory-mapped console' : reason.kind === 'code-page' ? 'writes to a write-protected code page' : 'writes to a write-protected page table';
  return `trapped ${reason.traps} times (${what})`;
}
