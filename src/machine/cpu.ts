// The G32 CPU: registers, the interpreter loop, the MMU with its TLB, and
// exception delivery exactly as g32-isa.md §3–§5 and §8 describe. It knows
// nothing of hypervisors or debuggers: everything outside the core (devices,
// interrupts, who handles an exception) is reached through `Platform`.
//
// The run loop is performance code. It keeps pc, flags and ticks in locals,
// caches the translations of the current code page and of the last pages
// loaded from and stored to, reads decoded instructions from PhysicalMemory's
// cache, and allocates nothing per instruction. Faults are state (`fault*`
// fields), never JS exceptions.

import { logicFlags, signedLess } from './aluFlags';
import { assertNever, outsideType } from './assertNever';
import { DeliveryFailure, explainDeliveryFailure } from './deliveryFailure';
import { EventHub, MachineEvent } from './events';
import { hexWord } from './format';
import { CONSOLE_BASE, Flag, FLAGS_MASK, Op, OP_LENGTH, OP_ZERO_MASK, PAGE_SIZE, PfError, PrivilegedOp, Pte, Vector } from './isa';
import { PhysicalMemory } from './memory';
import { Tlb, TlbBits, TlbState } from './tlb';

export type StopReason =
  | 'halted'
  | 'triple-fault'
  | 'bus-error'
  | 'instruction-limit'
  | 'exception-loop'
  | 'budget'
  | 'breakpoint'
  | 'waiting-for-input'
  | 'requested'
  /** Internal to the hypervisor: binary translation takes over from the interpreter, or back. */
  | 'switch-engine';

/** What a CPU needs from the machine around it: devices, interrupts, exception handling. */
export interface Platform {
  /** Every exception the CPU raises; `cpu.pc` already holds the pc to save. */
  onException(cpu: Cpu, vector: number, errorCode: number, faultAddress: number): void;
  /** Called before an instruction once `cpu.ticks >= cpu.eventTick`; may deliver interrupts or stop. */
  service(cpu: Cpu): StopReason | undefined;
  /** Earliest tick at which `service` has something to do. */
  nextEventTick(cpu: Cpu): number;
  portIn(cpu: Cpu, port: number): number;
  /** Runs as the `out` retires: `cpu.ticks` already counts it. */
  portOut(cpu: Cpu, port: number, value: number): void;
  consoleReadByte(cpu: Cpu, pa: number): number;
  consoleStore(cpu: Cpu, pa: number, value: number): void;
}

export const enum Mode {
  KERNEL = 0,
  USER = 1,
}

/** Why the last memory access failed: 0 none, 1 an exception is to be raised, 2 the machine stopped. */
const enum FaultState {
  NONE = 0,
  EXCEPTION = 1,
  STOP = 2,
}

const enum Access {
  READ = 0,
  WRITE = 1,
  FETCH = 2,
}

/** The slot of Cpu.blockEntryCounts (`slots` long, a power of two) that counts the entries of cold code at `pc`. */
export function blockEntrySlot(pc: number, slots: number): number {
  return (pc >>> 2) & (slots - 1);
}

/** Why a run in block mode stopped (Cpu.blockMode). */
export const enum BlockEnd {
  NONE = 0,
  JUMP = 1,
  CALL_OUT = 2,
  FAULT = 3,
  EVENT = 4,
}

const DECODED = 0x10000;
const UNDEFINED_OP = 0xff;
export const MAX_DELIVERIES_IN_A_ROW = 100000;

export interface CpuState {
  regs: Int32Array;
  pc: number;
  flags: number;
  mode: Mode;
  cr3: number;
  evt: number;
  ksp: number;
  ticks: number;
  idleTicks: number;
  isHalted: boolean;
  tlb: TlbState;
  deliveryTick: number;
  deliveriesInARow: number;
  retiredInMode: [number, number];
  retiredAtModeChange: number;
  cr3Loads: number;
  sensitiveRetired: number;
}

export class Cpu {
  readonly regs = new Int32Array(16);
  pc = 0;
  flags = 0;
  mode: Mode = Mode.KERNEL;
  cr3 = 0;
  evt = 0;
  ksp = 0;

  /** Time: retired instructions plus ticks spent waiting in `hlt`. */
  ticks = 0;
  /** Ticks spent waiting in `hlt`; retired instructions = ticks − idleTicks. */
  idleTicks = 0;
  /** The loop calls `Platform.service` before the first instruction at or after this tick. */
  eventTick = 0;
  /** Waiting in `hlt` for an interrupt. */
  isHalted = false;

  /** Run limits, in the units the spec counts: retired instructions, and ticks for debugger slices. */
  maxInstructions = 10_000_000;
  runUntilTick = Infinity;
  /** Set by anyone (a hook, a pause) to stop before the next instruction. */
  stopRequest: StopReason | undefined;
  stopReason: StopReason | undefined;
  /** Human-readable detail of the last stop (bus error address, triple fault cause). */
  stopDetail = '';
  /** The last exception whose delivery failed (the cause of a double or triple fault); set only on that path. */
  deliveryFailure: DeliveryFailure | undefined;
  /** Sensitive instructions (pushf, popf, mov rd, evt) retired on this CPU, in any mode. */
  sensitiveRetired = 0;
  /**
   * Binary translation runs a guest kernel's cold code here until it reaches a hot
   * block: in block mode `run` returns 'switch-engine' (without setting
   * `stopReason`) after a control transfer to an entry that turned hot retires
   * (see blockEntryCounts; every transfer without the table), before an instruction the
   * translator hands to the hypervisor (privileged, sensitive, syscall, brk,
   * vmcall), at a fault before raising it, and at the event tick before servicing
   * it; `blockEnd` says which. Other instructions run as ever.
   */
  blockMode = false;
  blockEnd: BlockEnd = BlockEnd.NONE;
  /** At a CALL_OUT stop: the physical address the instruction was fetched from. */
  blockEndPa = -1;
  /**
   * Block mode's entry counter, owned by the translator: entries of cold code by
   * a hash of their virtual address (blockEntrySlot). A control transfer to a target whose count would reach `blockEntryLimit`
   * ends the run (JUMP), leaving the count for the translator to take; any other
   * is counted and run on, so cold code stops only where a block turns hot, or is.
   * null: every control transfer ends the run.
   */
  blockEntryCounts: Uint16Array | null = null;
  blockEntryLimit = 0;
  /** Block mode: the last entry the run went on through (set by the translator to where the run began). */
  blockEntryPc = 0;

  fault: number = FaultState.NONE;
  faultVector = 0;
  faultCode = 0;
  faultAddress = 0;

  /** Breakpoints by pc (virtual address); `breakpointFilter` is a cheap first test so unused breakpoints cost one null check. */
  breakpoints = new Set<number>();
  breakpointFilter: Uint8Array | null = null;
  /** Lets a resumed run execute the instruction it stopped at. */
  skipBreakpointAt = -1;

  private deliveryTick = -1;
  private deliveriesInARow = 0;

  // Translation of the page the pc is on, valid while the TLB generation and mode are unchanged.
  private fetchVpn = -1;
  private fetchFrame = 0;
  private fetchEntry = 0;
  private fetchGeneration = -1;
  /** An instruction was fetched through the cached code page since the TLB's use clock last saw it. */
  private isCodeUsePending = false;

  // The TLB entries the last load and the last store went through (a data micro-TLB beside
  // the fetch cache), valid while the TLB generation is unchanged and the mode is the one
  // they were filled in: a hit here is exactly a TLB hit, without the index look-up and
  // rights check. The write entry is filled only once D is set, so a hit never owes a walk.
  private readVpn = -1;
  private readFrame = 0;
  private readEntry = 0;
  private readGeneration = -1;
  private writeVpn = -1;
  private writeFrame = 0;
  private writeEntry = 0;
  private writeGeneration = -1;

  readonly tlb: Tlb;
  platform!: Platform;

  /**
   * Hardware assist (g32-isa.md §7): with `nested` set, cr3 holds a guest-physical
   * address and the walker translates every table access and the final frame
   * through the hypervisor's map; `exitControls` names the kernel-mode
   * instructions that exit to the hypervisor (as vector VM_EXIT) instead of running.
   */
  nested: NestedPaging | null = null;
  exitControls = 0;
  private readonly retiredInMode = [0, 0];
  private retiredAtModeChange = 0;
  /** Every `cr3` load (guest or hypervisor); under nested paging the guest's own are real ones. */
  cr3Loads = 0;
  /** Addresses are physical (paging off, no nested map): kept in step with cr3 and `nested`. */
  isPhysical = true;

  setNested(nested: NestedPaging | null): void {
    this.nested = nested;
    this.updateAddressing();
  }

  private updateAddressing(): void {
    this.isPhysical = this.cr3 === 0 && this.nested === null;
    this.dropFetchCache();
  }

  constructor(
    readonly memory: PhysicalMemory,
    tlbEntries: number,
    readonly events: EventHub<MachineEvent>,
  ) {
    this.tlb = new Tlb(tlbEntries);
  }

  get retired(): number {
    return this.ticks - this.idleTicks;
  }

  get isUser(): boolean {
    return this.mode === Mode.USER;
  }

  setBreakpoints(addresses: Iterable<number>): void {
    const next = new Set([...addresses].map((a) => a >>> 0));
    if (next.size === this.breakpoints.size && [...next].every((a) => this.breakpoints.has(a))) return;
    this.breakpoints = next;
    if (next.size === 0) {
      this.breakpointFilter = null;
      return;
    }
    // The filter is reused: debuggers refresh breakpoints often (on every cr3 load, for aliases).
    const filter = this.breakpointFilter ?? new Uint8Array(65536);
    filter.fill(0);
    for (const address of next) filter[address & 0xffff] = 1;
    this.breakpointFilter = filter;
    this.requestService();
  }

  /** Forces `service` before the next instruction (after IF changes, device access, new input). */
  requestService(): void {
    this.eventTick = 0;
  }

  /**
   * Records the code page's use in the TLB's LRU clock. Fetches come before an
   * instruction's data accesses, so recording it before the next lookup keeps the
   * LRU order exactly as if every fetch had touched the entry.
   */
  noteCodeUse(): void {
    this.isCodeUsePending = false;
    if (this.fetchVpn >= 0 && this.tlb.generation === this.fetchGeneration) {
      this.tlb.lastUse[this.fetchEntry] = ++this.tlb.clock;
      this.tlb.hits++;
    }
  }

  /** Changing mode or page tables invalidates the cached code-page translation, and the data pages'. */
  private dropFetchCache(): void {
    if (this.isCodeUsePending) this.noteCodeUse();
    this.fetchVpn = -1;
    this.dropDataCache();
  }

  /**
   * Forgets the last load's and store's translations. TLB changes (flushes,
   * `invlpg`, cr3 loads, replacements, walks that refresh an entry) already
   * invalidate them through the TLB generation; a mode change must drop them here,
   * since an entry a kernel access may use can deny a user access.
   */
  private dropDataCache(): void {
    this.readVpn = -1;
    this.writeVpn = -1;
  }

  /**
   * A load or store through a cached data translation: the TLB hit it stands for,
   * with the same LRU order and count (the pending code-page use first, as `translate`
   * records it). A pending code use here always has a valid fetch cache: the data
   * entry was cached after the last lookup cleared the flag, the fetch that set it
   * again saw the TLB generation the data entry still has, and nothing since has
   * bumped the generation without clearing the flag.
   */
  private useDataEntry(entry: number): void {
    const tlb = this.tlb;
    if (this.isCodeUsePending) {
      this.isCodeUsePending = false;
      tlb.lastUse[this.fetchEntry] = ++tlb.clock;
      tlb.hits += 2;
    } else tlb.hits++;
    tlb.lastUse[entry] = ++tlb.clock;
  }

  /** After a successful load at `va`: its TLB entry now allows loads in this mode without a walk. */
  private cacheRead(va: number): void {
    const entry = this.tlb.find(va >>> 12);
    if (entry < 0) return;
    this.readVpn = va >>> 12;
    this.readFrame = this.tlb.frame[entry];
    this.readEntry = entry;
    this.readGeneration = this.tlb.generation;
  }

  /** After a successful store at `va`: its TLB entry now has W (and D, set by the walk) for this mode. */
  private cacheWrite(va: number): void {
    const entry = this.tlb.find(va >>> 12);
    if (entry < 0) return;
    this.writeVpn = va >>> 12;
    this.writeFrame = this.tlb.frame[entry];
    this.writeEntry = entry;
    this.writeGeneration = this.tlb.generation;
  }

  // ---------------------------------------------------------------- run loop

  /** Runs until a stop; returns why. Never throws for anything a guest does. */
  run(): StopReason {
    this.stopReason = undefined;
    const regs = this.regs;
    const memory = this.memory;
    const ramSize = memory.size;
    const decodedInfo = memory.decodedInfo;
    const decodedImm = memory.decodedImm;
    const tlb = this.tlb;
    let pc = this.pc | 0;
    let flags = this.flags;
    let ticks = this.ticks;
    // cr3 changes only in slow paths, after which the locals are reloaded.
    let isPaging = !this.isPhysical;
    // Breakpoints change only in slow paths (a stop, or a debugger's event hook), after which the locals are reloaded.
    let filter = this.breakpointFilter;
    // The cached code-page translation, reloaded with the other locals after every slow path.
    let fetchVpn = this.fetchVpn;
    let fetchFrame = this.fetchFrame;
    // A resumed run does not stop again at the breakpoint it stopped at, until an instruction retires.
    const skipAt = this.skipBreakpointAt;
    const startTicks = ticks;
    this.skipBreakpointAt = -1;
    // Read once: a control transfer costs one test of a local for it.
    const isBlockMode = this.blockMode;

    for (;;) {
      if (ticks >= this.eventTick) {
        this.pc = pc;
        this.flags = flags;
        this.ticks = ticks;
        if (isBlockMode) return this.endBlock(BlockEnd.EVENT);
        const stop = this.serviceAll();
        if (stop !== undefined) return this.finishStop(stop);
        pc = this.pc | 0;
        flags = this.flags;
        ticks = this.ticks;
        isPaging = !this.isPhysical;
        filter = this.breakpointFilter;
        fetchVpn = this.fetchVpn;
        fetchFrame = this.fetchFrame;
        if (this.isHalted) continue;
      }

      if (filter !== null && filter[pc & 0xffff] !== 0 && this.breakpoints.has(pc >>> 0) && !(pc === skipAt && ticks === startTicks)) {
        this.pc = pc;
        this.flags = flags;
        this.ticks = ticks;
        return this.finishStop('breakpoint');
      }

      // Fetch: translate pc (cached per code page), then read the decoded cache.
      let pa: number;
      if (!isPaging) {
        pa = pc;
      } else if (pc >>> 12 === fetchVpn && tlb.generation === this.fetchGeneration) {
        pa = fetchFrame | (pc & 0xfff);
        // The fetch unit keeps the current code page's translation (a micro-TLB); the
        // TLB entry's LRU use is recorded lazily, before the next TLB lookup (noteCodeUse).
        this.isCodeUsePending = true;
      } else {
        this.pc = pc;
        this.flags = flags;
        this.ticks = ticks;
        pa = this.translateFetch(pc);
        fetchVpn = this.fetchVpn;
        fetchFrame = this.fetchFrame;
        if (pa < 0) {
          if (this.fault === FaultState.STOP) return this.finishStop('bus-error');
          if (isBlockMode) return this.endBlock(BlockEnd.FAULT);
          this.raiseFault();
          if (this.stopReason !== undefined) return this.stopReason;
          pc = this.pc | 0;
          flags = this.flags;
          ticks = this.ticks;
          isPaging = !this.isPhysical;
          filter = this.breakpointFilter;
          fetchVpn = this.fetchVpn;
          fetchFrame = this.fetchFrame;
          continue;
        }
      }
      let info: number;
      let imm: number;
      if ((pa & 3) === 0 && pa >= 0 && pa < ramSize && (info = decodedInfo[pa >> 2]) !== 0) {
        imm = decodedImm[pa >> 2];
      } else {
        this.pc = pc;
        this.flags = flags;
        this.ticks = ticks;
        info = this.decodeSlow(pc, pa);
        if (this.fault !== FaultState.NONE) {
          if (this.fault === FaultState.STOP) return this.finishStop('bus-error');
          if (isBlockMode) return this.endBlock(BlockEnd.FAULT);
          this.raiseFault();
          if (this.stopReason !== undefined) return this.stopReason;
          pc = this.pc | 0;
          flags = this.flags;
          ticks = this.ticks;
          isPaging = !this.isPhysical;
          filter = this.breakpointFilter;
          fetchVpn = this.fetchVpn;
          fetchFrame = this.fetchFrame;
          continue;
        }
        imm = this.slowImm;
      }

      // Typed as the opcode enum so that the switch below must name every opcode.
      const op = (info & 0xff) as Op;
      const a = (info >> 8) & 0xf;
      const b = (info >> 12) & 0xf;
      const next = (pc + (info >>> 20)) | 0;
      let x: number, y: number, res: number, addr: number;

      // Each case either falls out of the switch having retired (pc = next),
      // or jumps to `fault` with the fault fields set; in block mode a control
      // transfer leaves through `transfer`.
      transfer: {
        fault: {
          switch (op) {
            case Op.MOV_RR:
              regs[a] = regs[b];
              break;
            case Op.MOV_RI:
              regs[a] = imm;
              break;

            case Op.LD_R:
            case Op.LD_RD:
            case Op.LD_A:
              addr = op === Op.LD_R ? regs[b] : op === Op.LD_RD ? (regs[b] + imm) | 0 : imm;
              x = this.load32(addr);
              if (this.fault !== FaultState.NONE) break fault;
              regs[a] = x;
              break;
            case Op.LDB_R:
            case Op.LDB_RD:
            case Op.LDB_A:
              addr = op === Op.LDB_R ? regs[b] : op === Op.LDB_RD ? (regs[b] + imm) | 0 : imm;
              x = this.load8(addr);
              if (this.fault !== FaultState.NONE) break fault;
              regs[a] = x;
              break;
            case Op.ST_R:
            case Op.ST_RD:
            case Op.ST_A:
              addr = op === Op.ST_R ? regs[b] : op === Op.ST_RD ? (regs[b] + imm) | 0 : imm;
              this.ticks = ticks;
              this.store32(addr, regs[a]);
              if (this.fault !== FaultState.NONE) break fault;
              break;
            case Op.STB_R:
            case Op.STB_RD:
            case Op.STB_A:
              addr = op === Op.STB_R ? regs[b] : op === Op.STB_RD ? (regs[b] + imm) | 0 : imm;
              this.ticks = ticks;
              this.store8(addr, regs[a]);
              if (this.fault !== FaultState.NONE) break fault;
              break;
            case Op.LEA_R:
              regs[a] = regs[b];
              break;
            case Op.LEA_RD:
              regs[a] = (regs[b] + imm) | 0;
              break;
            case Op.LEA_A:
              regs[a] = imm;
              break;

            case Op.PUSH_R:
            case Op.PUSH_I:
              x = op === Op.PUSH_R ? regs[a] : imm;
              addr = (regs[15] - 4) | 0;
              this.ticks = ticks;
              this.store32(addr, x);
              if (this.fault !== FaultState.NONE) break fault;
              regs[15] = addr;
              break;
            case Op.POP:
              x = this.load32(regs[15]);
              if (this.fault !== FaultState.NONE) break fault;
              regs[15] = (regs[15] + 4) | 0;
              regs[a] = x;
              break;

            case Op.ADD_RR:
            case Op.ADD_RI:
              x = regs[a];
              y = op === Op.ADD_RR ? regs[b] : imm;
              res = (x + y) | 0;
              // The text of aluFlags.addFlags (a call here slows the loop); test/machine/aluFlags.test.ts keeps them one.
              flags = (flags & Flag.IF) | (res >>> 0 < x >>> 0 ? Flag.CF : 0) | (res === 0 ? Flag.ZF : 0) | (res < 0 ? Flag.SF : 0) | ((((x ^ res) & (y ^ res)) >>> 31) << 3);
              regs[a] = res;
              break;
            case Op.SUB_RR:
            case Op.SUB_RI:
            case Op.CMP_RR:
            case Op.CMP_RI:
              x = regs[a];
              y = op === Op.SUB_RR || op === Op.CMP_RR ? regs[b] : imm;
              res = (x - y) | 0;
              // The text of aluFlags.subFlags, as above.
              flags = (flags & Flag.IF) | (x >>> 0 < y >>> 0 ? Flag.CF : 0) | (res === 0 ? Flag.ZF : 0) | (res < 0 ? Flag.SF : 0) | ((((x ^ y) & (x ^ res)) >>> 31) << 3);
              if (op === Op.SUB_RR || op === Op.SUB_RI) regs[a] = res;
              break;
            case Op.AND_RR:
              res = regs[a] & regs[b];
              regs[a] = res;
              flags = logicFlags(flags, res);
              break;
            case Op.AND_RI:
              res = regs[a] & imm;
              regs[a] = res;
              flags = logicFlags(flags, res);
              break;
            case Op.OR_RR:
              res = regs[a] | regs[b];
              regs[a] = res;
              flags = logicFlags(flags, res);
              break;
            case Op.OR_RI:
              res = regs[a] | imm;
              regs[a] = res;
              flags = logicFlags(flags, res);
              break;
            case Op.XOR_RR:
              res = regs[a] ^ regs[b];
              regs[a] = res;
              flags = logicFlags(flags, res);
              break;
            case Op.XOR_RI:
              res = regs[a] ^ imm;
              regs[a] = res;
              flags = logicFlags(flags, res);
              break;
            case Op.TEST_RR:
              flags = logicFlags(flags, regs[a] & regs[b]);
              break;
            case Op.TEST_RI:
              flags = logicFlags(flags, regs[a] & imm);
              break;
            case Op.SHL_RR:
              res = regs[a] << (regs[b] & 31);
              regs[a] = res;
              flags = logicFlags(flags, res);
              break;
            case Op.SHL_RI:
              res = regs[a] << (imm & 31);
              regs[a] = res;
              flags = logicFlags(flags, res);
              break;
            case Op.SHR_RR:
              res = (regs[a] >>> (regs[b] & 31)) | 0;
              regs[a] = res;
              flags = logicFlags(flags, res);
              break;
            case Op.SHR_RI:
              res = (regs[a] >>> (imm & 31)) | 0;
              regs[a] = res;
              flags = logicFlags(flags, res);
              break;
            case Op.SAR_RR:
              res = regs[a] >> (regs[b] & 31);
              regs[a] = res;
              flags = logicFlags(flags, res);
              break;
            case Op.SAR_RI:
              res = regs[a] >> (imm & 31);
              regs[a] = res;
              flags = logicFlags(flags, res);
              break;
            case Op.MUL_RR:
              res = Math.imul(regs[a], regs[b]);
              regs[a] = res;
              flags = logicFlags(flags, res);
              break;
            case Op.MUL_RI:
              res = Math.imul(regs[a], imm);
              regs[a] = res;
              flags = logicFlags(flags, res);
              break;
            case Op.DIVU_RR:
            case Op.DIVU_RI:
            case Op.REMU_RR:
            case Op.REMU_RI:
              y = (op === Op.DIVU_RR || op === Op.REMU_RR ? regs[b] : imm) >>> 0;
              if (y === 0) {
                this.setFault(Vector.DE, 0, 0);
                break fault;
              }
              x = regs[a] >>> 0;
              res = (op === Op.DIVU_RR || op === Op.DIVU_RI ? Math.floor(x / y) : x % y) | 0;
              regs[a] = res;
              flags = logicFlags(flags, res);
              break;
            case Op.NOT:
              res = ~regs[a];
              regs[a] = res;
              flags = logicFlags(flags, res);
              break;
            case Op.NEG:
              x = regs[a];
              res = -x | 0;
              // The text of aluFlags.negFlags, as above.
              flags = (flags & Flag.IF) | (x !== 0 ? Flag.CF : 0) | (res === 0 ? Flag.ZF : 0) | (res < 0 ? Flag.SF : 0) | (x === -0x80000000 ? Flag.OF : 0);
              regs[a] = res;
              break;

            case Op.JMP_I:
              pc = imm;
              ticks++;
              if (isBlockMode) break transfer;
              continue;
            case Op.JMP_R:
              pc = regs[a];
              ticks++;
              if (isBlockMode) break transfer;
              continue;
            case Op.JZ:
              pc = (flags & Flag.ZF) !== 0 ? imm : next;
              ticks++;
              if (isBlockMode) break transfer;
              continue;
            case Op.JNZ:
              pc = (flags & Flag.ZF) === 0 ? imm : next;
              ticks++;
              if (isBlockMode) break transfer;
              continue;
            case Op.JL:
              pc = signedLess(flags) ? imm : next;
              ticks++;
              if (isBlockMode) break transfer;
              continue;
            case Op.JGE:
              pc = !signedLess(flags) ? imm : next;
              ticks++;
              if (isBlockMode) break transfer;
              continue;
            case Op.JLE:
              pc = (flags & Flag.ZF) !== 0 || signedLess(flags) ? imm : next;
              ticks++;
              if (isBlockMode) break transfer;
              continue;
            case Op.JG:
              pc = (flags & Flag.ZF) === 0 && !signedLess(flags) ? imm : next;
              ticks++;
              if (isBlockMode) break transfer;
              continue;
            case Op.JB:
              pc = (flags & Flag.CF) !== 0 ? imm : next;
              ticks++;
              if (isBlockMode) break transfer;
              continue;
            case Op.JAE:
              pc = (flags & Flag.CF) === 0 ? imm : next;
              ticks++;
              if (isBlockMode) break transfer;
              continue;
            case Op.JBE:
              pc = (flags & (Flag.CF | Flag.ZF)) !== 0 ? imm : next;
              ticks++;
              if (isBlockMode) break transfer;
              continue;
            case Op.JA:
              pc = (flags & (Flag.CF | Flag.ZF)) === 0 ? imm : next;
              ticks++;
              if (isBlockMode) break transfer;
              continue;
            case Op.JS:
              pc = (flags & Flag.SF) !== 0 ? imm : next;
              ticks++;
              if (isBlockMode) break transfer;
              continue;
            case Op.JNS:
              pc = (flags & Flag.SF) === 0 ? imm : next;
              ticks++;
              if (isBlockMode) break transfer;
              continue;
            case Op.CALL_I:
            case Op.CALL_R:
              x = op === Op.CALL_I ? imm : regs[a];
              addr = (regs[15] - 4) | 0;
              this.ticks = ticks;
              this.store32(addr, next);
              if (this.fault !== FaultState.NONE) break fault;
              regs[15] = addr;
              pc = x;
              ticks++;
              if (isBlockMode) break transfer;
              continue;
            case Op.RET:
              x = this.load32(regs[15]);
              if (this.fault !== FaultState.NONE) break fault;
              regs[15] = (regs[15] + 4) | 0;
              pc = x;
              ticks++;
              if (isBlockMode) break transfer;
              continue;
            case Op.NOP:
              break;

            case Op.SYSCALL:
            case Op.BRK:
              if (isBlockMode) return this.stopBeforeCallOut(pc, flags, ticks, pa);
              // Traps retire before their effect: the saved pc is the next instruction.
              ticks++;
              this.pc = next;
              this.flags = flags;
              this.ticks = ticks;
              this.raise(op === Op.SYSCALL ? Vector.SYSCALL : Vector.BP, 0, 0);
              if (this.stopReason !== undefined) return this.stopReason;
              pc = this.pc | 0;
              flags = this.flags;
              ticks = this.ticks;
              isPaging = !this.isPhysical;
              filter = this.breakpointFilter;
              fetchVpn = this.fetchVpn;
              fetchFrame = this.fetchFrame;
              continue;
            case Op.VMCALL:
              if (isBlockMode) return this.stopBeforeCallOut(pc, flags, ticks, pa);
              // Bare hardware has no hypercalls; a hypervisor's platform sees the #UD (or, in guest mode, an exit) and decides.
              if ((this.exitControls & ExitOn.VMCALL) !== 0) this.setFault(VM_EXIT, Op.VMCALL, 0);
              else this.setFault(Vector.UD, 0, 0);
              break fault;

            case Op.PUSHF:
              if (isBlockMode) return this.stopBeforeCallOut(pc, flags, ticks, pa);
              addr = (regs[15] - 4) | 0;
              this.ticks = ticks;
              this.store32(addr, flags);
              if (this.fault !== FaultState.NONE) break fault;
              // Counted and reported once it retires: a faulting one runs again after the handler.
              if (this.events.isActive) this.emitSensitive('pushf', pc);
              regs[15] = addr;
              this.sensitiveRetired++;
              break;
            case Op.POPF:
              if (isBlockMode) return this.stopBeforeCallOut(pc, flags, ticks, pa);
              x = this.load32(regs[15]);
              if (this.fault !== FaultState.NONE) break fault;
              if (this.events.isActive) this.emitSensitive('popf', pc);
              regs[15] = (regs[15] + 4) | 0;
              // In user mode popf silently keeps IF: the reason G32 is not classically virtualizable.
              flags = this.mode === Mode.USER ? (x & (FLAGS_MASK & ~Flag.IF)) | (flags & Flag.IF) : x & FLAGS_MASK;
              this.eventTick = 0;
              this.sensitiveRetired++;
              break;
            case Op.MOV_R_EVT:
              if (isBlockMode) return this.stopBeforeCallOut(pc, flags, ticks, pa);
              if (this.events.isActive) this.emitSensitive('mov rd, evt', pc);
              regs[a] = this.evt;
              this.sensitiveRetired++;
              break;

            case Op.HLT:
            case Op.CLI:
            case Op.STI:
            case Op.IN:
            case Op.OUT:
            case Op.IRET:
            case Op.MOV_CR3_R:
            case Op.MOV_R_CR3:
            case Op.INVLPG:
            case Op.MOV_EVT_R:
            case Op.MOV_KSP_R:
            case Op.MOV_R_KSP: {
              if (isBlockMode) return this.stopBeforeCallOut(pc, flags, ticks, pa);
              if (this.mode === Mode.USER) {
                this.setFault(Vector.GP, 0, 0);
                break fault;
              }
              this.pc = pc;
              this.flags = flags;
              this.ticks = ticks;
              const stop = this.executePrivileged(op, a, imm, next);
              if (stop !== undefined) return this.finishStop(stop);
              if (this.fault !== FaultState.NONE) {
                flags = this.flags;
                break fault;
              }
              pc = this.pc | 0;
              flags = this.flags;
              ticks = this.ticks;
              isPaging = !this.isPhysical;
              filter = this.breakpointFilter;
              fetchVpn = this.fetchVpn;
              fetchFrame = this.fetchFrame;
              continue;
            }

            default:
              // Only undefined opcode bytes get here; a defined opcode without a case does not compile.
              outsideType(op);
              this.setFault(Vector.UD, 0, 0);
              break fault;
          }
          pc = next;
          ticks++;
          continue;
        }

        // A faulting instruction does not retire; the saved pc is its own address.
        this.pc = pc;
        this.flags = flags;
        this.ticks = ticks;
        if (this.fault === FaultState.STOP) return this.finishStop('bus-error');
        if (isBlockMode) return this.endBlock(BlockEnd.FAULT);
        this.raiseFault();
        if (this.stopReason !== undefined) return this.stopReason;
        pc = this.pc | 0;
        flags = this.flags;
        ticks = this.ticks;
        isPaging = !this.isPhysical;
        filter = this.breakpointFilter;
        fetchVpn = this.fetchVpn;
        fetchFrame = this.fetchFrame;
        continue;
      }
      // Block mode: a control transfer retired. Cold code runs on through targets not yet hot (see blockEntryCounts).
      const entryCounts = this.blockEntryCounts;
      if (entryCounts !== null) {
        const slot = blockEntrySlot(pc, entryCounts.length);
        const entries = entryCounts[slot] + 1;
        if (entries < this.blockEntryLimit) {
          entryCounts[slot] = entries;
          this.blockEntryPc = pc;
          continue;
        }
      }
      this.pc = pc;
      this.flags = flags;
      this.ticks = ticks;
      return this.endBlock(BlockEnd.JUMP);
    }
  }

  /** Ends a run in block mode before an instruction the translator hands to the hypervisor, fetched from `pa`. */
  private stopBeforeCallOut(pc: number, flags: number, ticks: number, pa: number): StopReason {
    this.pc = pc;
    this.flags = flags;
    this.ticks = ticks;
    this.blockEndPa = pa;
    return this.endBlock(BlockEnd.CALL_OUT);
  }

  /** Ends a run in block mode, with pc, flags and ticks stored. */
  private endBlock(end: BlockEnd): StopReason {
    this.blockEnd = end;
    return 'switch-engine';
  }

  private emitSensitive(mnemonic: 'pushf' | 'popf' | 'mov rd, evt', pc: number): void {
    this.events.emit({ kind: 'sensitive', mnemonic, pc: pc >>> 0, isUser: this.mode === Mode.USER, ticks: this.ticks });
  }

  private finishStop(reason: StopReason): StopReason {
    this.stopReason = reason;
    this.fault = FaultState.NONE;
    return reason;
  }

  /** Limits first, then the platform (devices, interrupts, `hlt`). */
  serviceAll(): StopReason | undefined {
    if (this.stopReason !== undefined) return this.stopReason;
    if (this.stopRequest !== undefined) {
      const stop = this.stopRequest;
      this.stopRequest = undefined;
      return stop;
    }
    if (this.retired >= this.maxInstructions) {
      // hlt retires before its effect: when it was the last allowed instruction
      // and nothing can wake it, the run still ends cleanly (g32-isa.md §4, §8).
      if (this.isHalted && this.platform.service(this) === 'halted') return 'halted';
      this.stopDetail = `instruction limit of ${this.maxInstructions} reached`;
      return 'instruction-limit';
    }
    if (this.ticks >= this.runUntilTick) return 'budget';
    const stop = this.platform.service(this);
    if (stop !== undefined) return stop;
    this.eventTick = Math.min(this.platform.nextEventTick(this), this.runUntilTick, this.maxInstructions + this.idleTicks);
    // A halted CPU executes nothing, so its platform is serviced again at once.
    if (this.stopRequest !== undefined || this.isHalted) this.eventTick = 0;
    return undefined;
  }

  /** Privileged instructions in kernel mode: rare, so they leave the hot switch. */
  private executePrivileged(op: PrivilegedOp, a: number, imm: number, next: number): StopReason | undefined {
    const regs = this.regs;
    if (this.exitControls !== 0 && (this.exitControls & exitControlOf(op)) !== 0) {
      this.setFault(VM_EXIT, op, 0);
      return undefined;
    }
    switch (op) {
      case Op.HLT:
        // hlt retires before it waits (g32-isa.md §8).
        this.ticks++;
        this.pc = next;
        this.isHalted = true;
        this.eventTick = 0;
        return undefined;
      case Op.CLI:
        this.flags &= ~Flag.IF;
        break;
      case Op.STI:
        this.flags |= Flag.IF;
        this.eventTick = 0;
        break;
      case Op.IN: {
        const value = this.platform.portIn(this, imm);
        regs[a] = value;
        this.eventTick = 0;
        break;
      }
      case Op.OUT:
        this.ticks++;
        this.pc = next;
        this.platform.portOut(this, imm, regs[a]);
        this.eventTick = 0;
        return undefined;
      case Op.IRET: {
        const sp = this.regs[15];
        const newPc = this.load32(sp);
        if (this.fault !== FaultState.NONE) return this.faultStop();
        const newFlags = this.load32((sp + 4) | 0);
        if (this.fault !== FaultState.NONE) return this.faultStop();
        const newMode = this.load32((sp + 8) | 0);
        if (this.fault !== FaultState.NONE) return this.faultStop();
        const newSp = this.load32((sp + 12) | 0);
        if (this.fault !== FaultState.NONE) return this.faultStop();
        this.flags = newFlags & FLAGS_MASK;
        this.setMode(newMode !== 0 ? Mode.USER : Mode.KERNEL);
        regs[15] = newSp;
        this.ticks++;
        this.pc = newPc;
        this.eventTick = 0;
        return undefined;
      }
      case Op.MOV_CR3_R:
        this.loadCr3(regs[a]);
        break;
      case Op.MOV_R_CR3:
        regs[a] = this.cr3;
        break;
      case Op.INVLPG:
        this.invlpg(regs[a]);
        break;
      case Op.MOV_EVT_R:
        this.evt = regs[a];
        break;
      case Op.MOV_KSP_R:
        this.ksp = regs[a];
        break;
      case Op.MOV_R_KSP:
        regs[a] = this.ksp;
        break;
      default:
        assertNever(op, 'privileged opcode');
    }
    this.ticks++;
    this.pc = next;
    return undefined;
  }

  private faultStop(): StopReason | undefined {
    return this.fault === FaultState.STOP ? 'bus-error' : undefined;
  }

  setMode(mode: Mode): void {
    if (mode !== this.mode) {
      const retired = this.retired;
      this.retiredInMode[this.mode] += retired - this.retiredAtModeChange;
      this.retiredAtModeChange = retired;
      this.mode = mode;
      this.dropFetchCache();
    }
  }

  /** Instructions retired in kernel (index 0) and user (1) mode so far, counted at mode changes (a slow path). */
  retiredByMode(): [number, number] {
    const counts: [number, number] = [this.retiredInMode[0], this.retiredInMode[1]];
    counts[this.mode] += this.retired - this.retiredAtModeChange;
    return counts;
  }

  /** `mov cr3, rs`: flushes the whole TLB whatever the value (g32-isa.md §8). */
  loadCr3(value: number): void {
    this.cr3Loads++;
    this.cr3 = value;
    this.updateAddressing();
    const nRemoved = this.tlb.flushAll();
    this.dropFetchCache();
    if (this.events.isActive) {
      this.events.emit({ kind: 'cr3-load', value: value >>> 0, ticks: this.ticks });
      this.events.emit({ kind: 'tlb-flush', reason: 'cr3-load', page: undefined, nRemoved, ticks: this.ticks });
    }
  }

  /** A flush the hypervisor makes after changing a shadow table (not a guest action). */
  flushTlb(page: number | undefined): void {
    const nRemoved = page === undefined ? this.tlb.flushAll() : this.tlb.flushPage(page >>> 12) ? 1 : 0;
    this.dropFetchCache();
    if (this.events.isActive) this.events.emit({ kind: 'tlb-flush', reason: 'hypervisor', page: page === undefined ? undefined : ((page >>> 12) << 12) >>> 0, nRemoved, ticks: this.ticks });
  }

  invlpg(va: number): void {
    const isRemoved = this.tlb.flushPage(va >>> 12);
    if (this.events.isActive) this.events.emit({ kind: 'tlb-flush', reason: 'invlpg', page: ((va >>> 12) << 12) >>> 0, nRemoved: isRemoved ? 1 : 0, ticks: this.ticks });
  }

  // ---------------------------------------------------------------- exceptions

  setFault(vector: number, errorCode: number, address: number): void {
    this.fault = FaultState.EXCEPTION;
    this.faultVector = vector;
    this.faultCode = errorCode;
    this.faultAddress = address;
  }

  /** Hands the fault recorded by the last access (or `setFault`) to the platform. */
  raiseFault(): void {
    this.fault = FaultState.NONE;
    this.raise(this.faultVector, this.faultCode, this.faultAddress);
  }

  /** Hands an exception to the platform; `this.pc` holds the pc to save. */
  raise(vector: number, errorCode: number, faultAddress: number): void {
    this.fault = FaultState.NONE;
    if (this.events.isActive) {
      this.events.emit({ kind: 'exception', vector, errorCode, faultAddress: faultAddress >>> 0, pc: this.pc >>> 0, fromUser: this.mode === Mode.USER, ticks: this.ticks });
    }
    this.platform.onException(this, vector, errorCode, faultAddress);
  }

  /**
   * Counts a delivery and reports an exception loop: 100,000 deliveries in a
   * row without a retired instruction (g32-isa.md §8). The 100,000 deliveries
   * are made; the attempt after them is the one that stops the machine.
   */
  countDelivery(): boolean {
    const retired = this.retired;
    if (this.deliveryTick === retired) this.deliveriesInARow++;
    else {
      this.deliveryTick = retired;
      this.deliveriesInARow = 1;
    }
    return this.deliveriesInARow > MAX_DELIVERIES_IN_A_ROW;
  }

  /**
   * Hardware delivery through `evt` (g32-isa.md §4, §8): frame pushes as kernel
   * accesses, then the vector-table read; a page fault on the way becomes #DF
   * from the original state, and a fault while delivering #DF is a triple fault.
   */
  deliverHardware(vector: number, errorCode: number, faultAddress: number): void {
    if (this.countDelivery()) {
      this.stopDetail = `exception loop: ${MAX_DELIVERIES_IN_A_ROW} deliveries in a row without a retired instruction (last vector ${vector})`;
      this.stopReason = 'exception-loop';
      return;
    }
    if (this.tryDeliver(vector, errorCode, faultAddress)) return;
    const cause = this.deliveryFailure!;
    if (this.fault === FaultState.STOP) {
      this.stopReason = 'bus-error';
      this.stopDetail += ` (${explainDeliveryFailure(cause)})`;
      return;
    }
    this.fault = FaultState.NONE;
    if (vector !== Vector.DF) {
      if (this.events.isActive) {
        this.events.emit({ kind: 'exception', vector: Vector.DF, errorCode: 0, faultAddress: 0, pc: this.pc >>> 0, fromUser: this.mode === Mode.USER, ticks: this.ticks });
      }
      const isDelivered = this.tryDeliver(Vector.DF, 0, 0);
      this.deliveryFailure = cause;
      if (isDelivered) return;
      if (this.fault === FaultState.STOP) {
        this.stopReason = 'bus-error';
        this.stopDetail += ` (delivering #DF after ${explainDeliveryFailure(cause)})`;
        return;
      }
    }
    this.fault = FaultState.NONE;
    this.stopDetail = `triple fault while delivering #DF: ${explainDeliveryFailure(cause)}`;
    this.stopReason = 'triple-fault';
  }

  /** One delivery attempt; on failure the CPU state is unchanged (memory writes already made stay). */
  private tryDeliver(vector: number, errorCode: number, faultAddress: number): boolean {
    const wasUser = this.mode === Mode.USER;
    const oldSp = this.regs[15];
    const newStack = wasUser ? this.ksp : oldSp;
    const frame = [oldSp, wasUser ? 1 : 0, this.flags, this.pc, errorCode, faultAddress];
    // Pushes and the table read are kernel accesses whatever the interrupted mode.
    const savedMode = this.mode;
    this.mode = Mode.KERNEL;
    let ok = true;
    let failedAt = 0;
    for (let i = 0; i < frame.length && ok; i++) {
      failedAt = (newStack - 4 * (i + 1)) | 0;
      this.store32(failedAt, frame[i]);
      ok = this.fault === FaultState.NONE;
    }
    const isPushOk = ok;
    let handler = 0;
    if (ok) {
      failedAt = (this.evt + 4 * vector) | 0;
      handler = this.load32(failedAt);
      ok = this.fault === FaultState.NONE;
    }
    this.mode = savedMode;
    // The pushes may have cached translations checked for kernel mode: never leave them to a user access.
    this.dropDataCache();
    if (!ok) {
      this.deliveryFailure = {
        vector,
        pc: this.pc >>> 0,
        step: isPushOk ? 'vector-table' : 'push',
        address: failedAt >>> 0,
        isFromUser: wasUser,
        stack: newStack >>> 0,
        evt: this.evt >>> 0,
        isBusError: this.fault === FaultState.STOP,
      };
      return false;
    }
    this.setMode(Mode.KERNEL);
    this.flags &= ~Flag.IF;
    this.regs[15] = (newStack - 24) | 0;
    this.pc = handler;
    this.isHalted = false;
    return true;
  }

  // ---------------------------------------------------------------- MMU

  /**
   * Virtual to physical (or machine) address for one access, page-local.
   * Returns the address, or -1 with the fault fields set.
   */
  translate(va: number, access: Access | number, isUser: boolean): number {
    const vpn = va >>> 12;
    const tlb = this.tlb;
    if (this.isCodeUsePending) this.noteCodeUse();
    const entry = tlb.nEntries === 0 ? -1 : tlb.index[vpn] - 1;
    const isWrite = access === Access.WRITE;
    if (entry >= 0) {
      const bits = tlb.bits[entry];
      if ((isUser && (bits & TlbBits.U) === 0) || (isWrite && (bits & TlbBits.W) === 0)) {
        // A hit with insufficient rights faults from the cached bits, without a walk.
        tlb.flushPage(vpn);
        this.setFault(Vector.PF, PfError.PROTECTION | pfBits(access, isUser), va);
        return -1;
      }
      if (!isWrite || (bits & TlbBits.D) !== 0) {
        tlb.hits++;
        tlb.lastUse[entry] = ++tlb.clock;
        return (tlb.frame[entry] | (va & 0xfff)) >>> 0;
      }
      // A write through an entry whose D is clear walks again to set D.
    }
    tlb.misses++;
    return this.walk(va, access, isUser);
  }

  /** The two-level walk (g32-isa.md §5, §8): PDE P, PTE P, then U and W in both; A and D only on success. */
  private walk(va: number, access: Access | number, isUser: boolean): number {
    const memory = this.memory;
    const nested = this.nested;
    const isWrite = access === Access.WRITE;
    if (nested !== null && this.cr3 === 0) {
      // The guest runs with paging off: only the hypervisor's map translates.
      const page = (va & ~0xfff) >>> 0;
      const machineFrame = isConsole(page) ? page : nestedTranslate(nested, page);
      if (machineFrame < 0) return this.busError(page, 'guest-physical page outside the guest (nested page fault)');
      this.tlb.insert(va >>> 12, machineFrame, TlbBits.W | TlbBits.U | TlbBits.D);
      return ((machineFrame & ~0xfff) | (va & 0xfff)) >>> 0;
    }
    const pdeGpa = ((this.cr3 & ~0xfff) + ((va >>> 22) << 2)) >>> 0;
    if (nested === null) this.tlb.walkReferences++;
    const pdeAddr = nested === null ? pdeGpa : nestedTranslate(nested, pdeGpa);
    if (nested !== null) nested.references++; // the guest's PDE itself
    if (pdeAddr < 0 || !memory.contains(pdeAddr, 4)) return this.busError(pdeGpa, 'page directory entry');
    const pde = memory.read32(pdeAddr);
    let errorCode = -1;
    let pte = 0;
    let pteAddr = 0;
    if ((pde & Pte.P) === 0) errorCode = pfBits(access, isUser);
    else {
      const pteGpa = ((pde & ~0xfff) + (((va >>> 12) & 0x3ff) << 2)) >>> 0;
      if (nested === null) this.tlb.walkReferences++;
      pteAddr = nested === null ? pteGpa : nestedTranslate(nested, pteGpa);
      if (nested !== null) nested.references++; // the guest's PTE itself
      if (pteAddr < 0 || !memory.contains(pteAddr, 4)) return this.busError(pteGpa, 'page table entry');
      pte = memory.read32(pteAddr);
      if ((pte & Pte.P) === 0) errorCode = pfBits(access, isUser);
      else if ((isUser && (pde & pte & Pte.U) === 0) || (isWrite && (pde & pte & Pte.W) === 0)) {
        errorCode = PfError.PROTECTION | pfBits(access, isUser);
      }
    }
    if (errorCode >= 0) {
      this.tlb.flushPage(va >>> 12);
      this.setFault(Vector.PF, errorCode, va);
      if (this.events.isActive) this.emitWalk(va, access, isUser, pde, pte, -1, errorCode);
      return -1;
    }
    if ((pde & Pte.A) === 0) memory.write32(pdeAddr, pde | Pte.A);
    const newPte = pte | Pte.A | (isWrite ? Pte.D : 0);
    if (newPte !== pte) memory.write32(pteAddr, newPte);
    let frame = pte & ~0xfff;
    if (nested !== null) {
      // The second dimension: the guest-physical frame through the hypervisor's map.
      const machineFrame = isConsole(frame) ? frame >>> 0 : nestedTranslate(nested, frame >>> 0);
      if (machineFrame < 0) return this.busError(frame >>> 0, 'guest-physical frame outside the guest (nested page fault)');
      frame = machineFrame;
    }
    const bits = (pde & pte & (Pte.W | Pte.U)) | (newPte & Pte.D);
    this.tlb.insert(va >>> 12, frame, bits);
    const pa = (frame | (va & 0xfff)) >>> 0;
    if (this.events.isActive) this.emitWalk(va, access, isUser, pde | Pte.A, newPte, pa, 0);
    return pa;
  }

  private emitWalk(va: number, access: number, isUser: boolean, pde: number, pte: number, pa: number, errorCode: number): void {
    this.events.emit({
      kind: 'page-walk',
      va: va >>> 0,
      access: access === Access.WRITE ? 'write' : access === Access.FETCH ? 'fetch' : 'read',
      isUser,
      pde: pde >>> 0,
      pte: pte >>> 0,
      pa,
      errorCode,
      isOk: pa >= 0,
      ticks: this.ticks,
    });
  }

  private busError(pa: number, what: string): number {
    this.fault = FaultState.STOP;
    this.stopDetail = `bus error: ${what} at physical address ${hexWord(pa)} is neither RAM nor a device`;
    return -2;
  }

  /** Translation for an instruction fetch at `va`; fills the code-page cache. */
  private translateFetch(va: number): number {
    const pa = this.translate(va, Access.FETCH, this.mode === Mode.USER);
    if (pa < 0) return pa;
    const entry = this.tlb.nEntries === 0 ? -1 : this.tlb.index[va >>> 12] - 1;
    if (entry >= 0) {
      this.fetchVpn = va >>> 12;
      this.fetchFrame = this.tlb.frame[entry];
      this.fetchEntry = entry;
      this.fetchGeneration = this.tlb.generation;
    }
    return pa;
  }

  /** Word 1 of an instruction decoded by `decodeSlow`. */
  private slowImm = 0;

  /**
   * Decodes the instruction at `pc` (physical `pa`) outside the cached fast path:
   * unaligned code, device or non-RAM addresses, and second words on another page.
   * Caches the result when the whole instruction lies in one aligned RAM page.
   */
  private decodeSlow(pc: number, pa: number): number {
    const word0 = this.fetchWord(pc, pa);
    if (this.fault !== FaultState.NONE) return 0;
    const op = word0 & 0xff;
    const length = OP_LENGTH[op];
    let info: number;
    this.slowImm = 0;
    if (length === 0 || (word0 & OP_ZERO_MASK[op]) !== 0) {
      info = DECODED | UNDEFINED_OP;
    } else {
      info = DECODED | (length << 20) | (word0 & 0xffff);
      if (length === 8) {
        // An 8-byte instruction whose second word lies on a missing page faults as a fetch there.
        const va1 = (pc + 4) | 0;
        const pa1 = this.isPhysical ? va1 >>> 0 : (va1 & 0xfff) <= 0xffc ? this.translate(va1, Access.FETCH, this.mode === Mode.USER) : 0;
        if (pa1 < 0) return 0;
        this.slowImm = this.fetchWord(va1, pa1);
        if (this.fault !== FaultState.NONE) return 0;
      }
    }
    const isCacheable = (pa & 3) === 0 && pa >= 0 && pa + (length || 4) <= this.memory.size && (pa & 0xfff) + (length || 4) <= PAGE_SIZE;
    if (isCacheable) {
      this.memory.decodedInfo[pa >> 2] = info;
      this.memory.decodedImm[pa >> 2] = this.slowImm;
    }
    return info;
  }

  /** One instruction word at virtual `va` (physical `pa` when it lies within one page). */
  private fetchWord(va: number, pa: number): number {
    if (!this.isPhysical && (va & 0xfff) > 0xffc) {
      return this.load32Crossing(va, Access.FETCH) === CROSSED ? this.crossValue : 0;
    }
    return this.readPhysical(pa, 4);
  }

  // ---------------------------------------------------------------- memory access

  // Each access is a small fast path (paging off, or the cached data page) that the
  // interpreter loop can inline, and a slow path through the TLB.

  load32(va: number): number {
    if (this.isPhysical) {
      if ((va & 3) === 0 && va >= 0 && va < this.memory.size) return this.memory.words[va >> 2];
      return this.readPhysical(va >>> 0, 4);
    }
    if (va >>> 12 === this.readVpn && (va & 3) === 0 && this.tlb.generation === this.readGeneration) {
      this.useDataEntry(this.readEntry);
      const pa = this.readFrame | (va & 0xfff);
      if (pa >= 0 && pa < this.memory.size) return this.memory.words[pa >> 2];
      return this.readPhysical(pa >>> 0, 4);
    }
    return this.load32Translated(va);
  }

  private load32Translated(va: number): number {
    const isInPage = (va & 0xfff) <= 0xffc;
    const pa = isInPage ? this.translate(va, Access.READ, this.mode === Mode.USER) : this.load32Crossing(va, Access.READ);
    // CROSSED is negative too, so it must be tested before the fault check.
    if (pa === CROSSED) return this.crossValue;
    if (pa < 0) return 0;
    if (isInPage) this.cacheRead(va);
    if ((pa & 3) === 0 && pa < this.memory.size) return this.memory.words[pa >> 2];
    return this.readPhysical(pa, 4);
  }

  load8(va: number): number {
    let pa: number;
    if (this.isPhysical) pa = va >>> 0;
    else if (va >>> 12 === this.readVpn && this.tlb.generation === this.readGeneration) {
      this.useDataEntry(this.readEntry);
      pa = (this.readFrame | (va & 0xfff)) >>> 0;
    } else {
      pa = this.translate(va, Access.READ, this.mode === Mode.USER);
      if (pa < 0) return 0;
      this.cacheRead(va);
    }
    if (pa < this.memory.size) return this.memory.bytes[pa];
    return this.readPhysical(pa, 1);
  }

  store32(va: number, value: number): void {
    if (this.isPhysical) this.writePhysical(va >>> 0, value, 4);
    else if (va >>> 12 === this.writeVpn && (va & 0xfff) <= 0xffc && this.tlb.generation === this.writeGeneration) {
      this.useDataEntry(this.writeEntry);
      this.writePhysical((this.writeFrame | (va & 0xfff)) >>> 0, value, 4);
    } else this.storeTranslated(va, value, 4);
  }

  store8(va: number, value: number): void {
    if (this.isPhysical) this.writePhysical(va >>> 0, value, 1);
    else if (va >>> 12 === this.writeVpn && this.tlb.generation === this.writeGeneration) {
      this.useDataEntry(this.writeEntry);
      this.writePhysical((this.writeFrame | (va & 0xfff)) >>> 0, value, 1);
    } else this.storeTranslated(va, value, 1);
  }

  private storeTranslated(va: number, value: number, size: 1 | 4): void {
    if (size === 4 && (va & 0xfff) > 0xffc) {
      this.store32Crossing(va, value);
      return;
    }
    const pa = this.translate(va, Access.WRITE, this.mode === Mode.USER);
    if (pa < 0) return;
    this.cacheWrite(va);
    this.writePhysical(pa, value, size);
  }

  private crossValue = 0;

  /** A word read that crosses a page: both pages are translated first (g32-isa.md §8). */
  private load32Crossing(va: number, access: Access): number {
    const isUser = this.mode === Mode.USER;
    const pa0 = this.translate(va, access, isUser);
    if (pa0 < 0) return pa0;
    const va1 = ((va | 0xfff) + 1) | 0;
    const pa1 = this.translate(va1, access, isUser);
    if (pa1 < 0) return pa1;
    const n0 = PAGE_SIZE - (va & 0xfff);
    let value = 0;
    for (let i = 0; i < 4; i++) {
      const byte = this.readPhysical(i < n0 ? pa0 + i : pa1 + (i - n0), 1);
      if (this.fault !== FaultState.NONE) return -2;
      value |= byte << (8 * i);
    }
    this.crossValue = value;
    return CROSSED;
  }

  private store32Crossing(va: number, value: number): void {
    const isUser = this.mode === Mode.USER;
    const pa0 = this.translate(va, Access.WRITE, isUser);
    if (pa0 < 0) return;
    const va1 = ((va | 0xfff) + 1) | 0;
    const pa1 = this.translate(va1, Access.WRITE, isUser);
    if (pa1 < 0) return;
    const n0 = PAGE_SIZE - (va & 0xfff);
    for (let i = 0; i < 4; i++) {
      const pa = i < n0 ? pa0 + i : pa1 + (i - n0);
      if (!this.memory.contains(pa) && !isConsole(pa)) {
        this.busError(pa, 'store');
        return;
      }
    }
    for (let i = 0; i < 4; i++) this.writePhysical(i < n0 ? pa0 + i : pa1 + (i - n0), (value >>> (8 * i)) & 0xff, 1);
  }

  /** Physical read of 1 or 4 bytes at any address: RAM, the console page, or a bus error. */
  readPhysical(pa: number, size: 1 | 4): number {
    pa >>>= 0;
    const memory = this.memory;
    if (memory.contains(pa, size)) return size === 1 ? memory.bytes[pa] : memory.read32(pa);
    let value = 0;
    for (let i = 0; i < size; i++) {
      const byteAddr = (pa + i) >>> 0;
      let byte: number;
      if (memory.contains(byteAddr)) byte = memory.bytes[byteAddr];
      else if (isConsole(byteAddr)) byte = this.platform.consoleReadByte(this, byteAddr);
      else {
        this.busError(byteAddr, 'access');
        return 0;
      }
      value |= byte << (8 * i);
    }
    return value;
  }

  /** Physical write; keeps the decoded-instruction cache coherent with self-modifying code. */
  writePhysical(pa: number, value: number, size: 1 | 4): void {
    const memory = this.memory;
    if (pa + size <= memory.size) {
      const info = memory.decodedInfo;
      const w = pa >> 2;
      if (size === 4) {
        if ((pa & 3) === 0) memory.words[w] = value;
        else memory.view.setInt32(pa, value, true);
      } else memory.bytes[pa] = value;
      if ((info[w] | info[(pa + size - 1) >> 2] | (w > 0 ? info[w - 1] : 0)) !== 0) memory.invalidateDecoded(pa, size);
      return;
    }
    for (let i = 0; i < size; i++) {
      const byteAddr = (pa + i) >>> 0;
      if (!memory.contains(byteAddr) && !isConsole(byteAddr)) {
        this.busError(byteAddr, 'store');
        return;
      }
    }
    if (isConsole(pa)) this.platform.consoleStore(this, pa, value);
    // A store that starts in RAM and runs into the console page writes only its RAM bytes.
    for (let i = 0; i < size; i++) {
      const byteAddr = pa + i;
      if (memory.contains(byteAddr)) memory.write8(byteAddr, (value >>> (8 * i)) & 0xff);
    }
  }

  // ---------------------------------------------------------------- state

  saveState(): CpuState {
    if (this.isCodeUsePending) this.noteCodeUse();
    return {
      regs: this.regs.slice(),
      pc: this.pc,
      flags: this.flags,
      mode: this.mode,
      cr3: this.cr3,
      evt: this.evt,
      ksp: this.ksp,
      ticks: this.ticks,
      idleTicks: this.idleTicks,
      isHalted: this.isHalted,
      tlb: this.tlb.saveState(),
      deliveryTick: this.deliveryTick,
      deliveriesInARow: this.deliveriesInARow,
      retiredInMode: [this.retiredInMode[0], this.retiredInMode[1]],
      retiredAtModeChange: this.retiredAtModeChange,
      cr3Loads: this.cr3Loads,
      sensitiveRetired: this.sensitiveRetired,
    };
  }

  loadState(state: CpuState): void {
    this.regs.set(state.regs);
    this.pc = state.pc;
    this.flags = state.flags;
    this.mode = state.mode;
    this.cr3 = state.cr3;
    this.evt = state.evt;
    this.ksp = state.ksp;
    this.updateAddressing();
    this.ticks = state.ticks;
    this.idleTicks = state.idleTicks;
    this.isHalted = state.isHalted;
    this.tlb.loadState(state.tlb);
    this.deliveryTick = state.deliveryTick;
    this.deliveriesInARow = state.deliveriesInARow;
    this.retiredInMode[0] = state.retiredInMode[0];
    this.retiredInMode[1] = state.retiredInMode[1];
    this.retiredAtModeChange = state.retiredAtModeChange;
    this.cr3Loads = state.cr3Loads;
    this.sensitiveRetired = state.sensitiveRetired;
    this.dropFetchCache();
    this.stopReason = undefined;
    this.fault = FaultState.NONE;
    this.eventTick = 0;
  }
}

/** Pseudo-vector for an exit to the hypervisor in guest mode; the error code carries the opcode. */
export const VM_EXIT = 256;

export const enum ExitOn {
  HLT = 1,
  IO = 2,
  CR3 = 4,
  INVLPG = 8,
  VMCALL = 16,
}

function exitControlOf(op: number): number {
  switch (op) {
    case Op.HLT:
      return ExitOn.HLT;
    case Op.IN:
    case Op.OUT:
      return ExitOn.IO;
    // Both directions: with shadow paging the real cr3 holds the shadow, so reading it must exit too.
    case Op.MOV_CR3_R:
    case Op.MOV_R_CR3:
      return ExitOn.CR3;
    case Op.INVLPG:
      return ExitOn.INVLPG;
    default:
      return 0;
  }
}

/** The guest-physical to machine map that nested paging walks, and its reference count. */
export interface NestedPaging {
  frames: Int32Array;
  size: number;
  /** Memory references made by two-dimensional walks: two per map lookup, one per guest entry read; (2+1)·(2+1)−1 = 8 for a full walk. */
  references: number;
}

function nestedTranslate(nested: NestedPaging, gpa: number): number {
  nested.references += 2; // the map's two levels
  return gpa < nested.size ? nested.frames[gpa >>> 12] + (gpa & 0xfff) : -1;
}

/** Marker returned by `load32Crossing` when the value is in `crossValue`. */
const CROSSED = -3;

function pfBits(access: number, isUser: boolean): number {
  return (access === Access.WRITE ? PfError.WRITE : 0) | (isUser ? PfError.USER : 0) | (access === Access.FETCH ? PfError.FETCH : 0);
}

function isConsole(pa: number): boolean {
  return pa >>> 12 === CONSOLE_BASE >>> 12;
}
