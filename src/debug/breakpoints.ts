// Source, instruction and data breakpoints. Source breakpoints are resolved
// through each guest's line map to guest-physical addresses (the assembler
// places code at physical addresses); the CPU stops at virtual pcs, so the
// runtime maps physical to virtual by scanning the guest's page table for
// pages that map the breakpoint's frame (`virtualAliases`), and on a stop
// checks that the pc really translates to the breakpoint's physical address,
// which keeps breakpoints right in user programs that share virtual addresses.

import { LineMap } from '../asm';
import { PAGE_SIZE } from '../machine/isa';
import { EvalError, parseExpression, parseHitCondition } from './evaluate';
import { Target } from './target';

export type DataAccess = 'read' | 'write' | 'readWrite';

export interface BreakpointRecord {
  id: number;
  kind: 'source' | 'instruction' | 'data';
  isVerified: boolean;
  message?: string;
  /** Source breakpoints: the file and the line it was moved to (1-based). */
  file?: string;
  line?: number;
  /** Where each guest runs it: guest-physical addresses. */
  locations: Array<{ guest: number; gpa: number }>;
  /** Instruction and data breakpoints: guest-virtual address. */
  address?: number;
  size?: number;
  access?: DataAccess;
  condition?: string;
  hitCondition?: (hits: number) => boolean;
  logMessage?: string;
  hits: number;
}

export interface BreakpointSpec {
  /** The id the client knows it by (kept across restarts); a new one when absent. */
  id?: number;
  /** Why the client's breakpoint cannot be set (a malformed field): it stays unverified with this message. */
  problem?: string;
  line?: number;
  address?: number;
  size?: number;
  access?: DataAccess;
  condition?: string;
  hitCondition?: string;
  logMessage?: string;
}

export class Breakpoints {
  private nextId = 1;
  private readonly bySource = new Map<string, BreakpointRecord[]>();
  instructions: BreakpointRecord[] = [];
  data: BreakpointRecord[] = [];

  constructor(private readonly lineMaps: readonly LineMap[]) {}

  private make(kind: BreakpointRecord['kind'], spec: BreakpointSpec): BreakpointRecord {
    const record: BreakpointRecord = { id: spec.id ?? this.nextId++, kind, isVerified: true, locations: [], hits: 0, condition: spec.condition?.trim() || undefined, logMessage: spec.logMessage };
    if (spec.id !== undefined) this.nextId = Math.max(this.nextId, spec.id + 1);
    if (spec.problem) {
      record.isVerified = false;
      record.message = spec.problem;
      return record;
    }
    if (record.condition) {
      // A condition that does not parse would print an error at every hit: refused once, here.
      try {
        parseExpression(record.condition);
      } catch (e) {
        if (!(e instanceof EvalError)) throw e;
        record.isVerified = false;
        record.message = `condition '${record.condition}': ${e.message}`;
        return record;
      }
    }
    if (spec.hitCondition?.trim()) {
      try {
        record.hitCondition = parseHitCondition(spec.hitCondition);
      } catch (e) {
        if (!(e instanceof EvalError)) throw e;
        record.isVerified = false;
        record.message = e.message;
      }
    }
    return record;
  }

  /** Replaces the breakpoints of one file; each moves to the nearest line at or after it that holds an instruction. */
  setSource(file: string, specs: BreakpointSpec[]): BreakpointRecord[] {
    const records = specs.map((spec) => {
      const record = this.make('source', spec);
      record.file = file;
      record.line = spec.line;
      if (!record.isVerified) return record;
      let line: number | undefined;
      this.lineMaps.forEach((lineMap) => {
        const nearest = lineMap.nearestInstructionLine(file, spec.line ?? 1);
        if (nearest === undefined) return;
        if (line === undefined || nearest < line) line = nearest;
      });
      if (line === undefined) {
        record.isVerified = false;
        record.message = 'no instruction at or after this line is part of the running program';
        return record;
      }
      record.line = line;
      this.lineMaps.forEach((lineMap, guest) => {
        for (const gpa of lineMap.addressesForLine(file, line!)) record.locations.push({ guest, gpa });
      });
      return record;
    });
    if (records.length === 0) this.bySource.delete(file);
    else this.bySource.set(file, records);
    return records;
  }

  setInstructions(specs: BreakpointSpec[]): BreakpointRecord[] {
    this.instructions = specs.map((spec) => {
      const record = this.make('instruction', spec);
      if (spec.address !== undefined) record.address = spec.address >>> 0;
      return record;
    });
    return this.instructions;
  }

  setData(specs: BreakpointSpec[]): BreakpointRecord[] {
    this.data = specs.map((spec) => {
      const record = this.make('data', spec);
      if (spec.address === undefined) return record;
      record.address = spec.address >>> 0;
      record.size = spec.size ?? 4;
      record.access = spec.access ?? 'write';
      return record;
    });
    return this.data;
  }

  sourceRecords(): BreakpointRecord[] {
    return [...this.bySource.values()].flat();
  }

  /** Guest-physical addresses with a source breakpoint, per guest. */
  physicalAddresses(guest: number): number[] {
    const out: number[] = [];
    for (const record of this.sourceRecords()) {
      if (!record.isVerified) continue;
      for (const location of record.locations) if (location.guest === guest) out.push(location.gpa);
    }
    return out;
  }

  /** Breakpoints that a stop at virtual `pc` (physical `gpa` in `guest`) hits. */
  hitsAt(guest: number, pc: number, gpa: number | undefined): BreakpointRecord[] {
    const out: BreakpointRecord[] = [];
    if (gpa !== undefined) {
      for (const record of this.sourceRecords()) {
        if (record.isVerified && record.locations.some((l) => l.guest === guest && l.gpa === gpa)) out.push(record);
      }
    }
    for (const record of this.instructions) if (record.isVerified && record.address === pc) out.push(record);
    return out;
  }

  /** Data breakpoints that an access of `size` bytes at `address` triggers. */
  dataHits(address: number, size: number, isWrite: boolean): BreakpointRecord[] {
    return this.data.filter((record) => {
      if (!record.isVerified) return false;
      if (record.access === 'write' && !isWrite) return false;
      if (record.access === 'read' && isWrite) return false;
      const start = record.address!;
      return address < start + record.size! && start < address + size;
    });
  }

  get hasCodeBreakpoints(): boolean {
    return this.instructions.length > 0 || this.sourceRecords().some((r) => r.isVerified);
  }
}

/**
 * Every guest-virtual address that the guest's current page table maps onto
 * one of `gpas`. With paging off the address itself. Reads only present
 * entries: the 1024 PDEs and the page tables they point at.
 */
export function virtualAliases(target: Target, guest: number, gpas: readonly number[]): number[] {
  if (gpas.length === 0) return [];
  const cr3 = target.cr3(guest);
  if (cr3 === 0) return [...gpas];
  const memory = target.memory(guest);
  const byFrame = new Map<number, number[]>();
  for (const gpa of gpas) {
    const frame = ((gpa >>> 12) << 12) >>> 0;
    const list = byFrame.get(frame);
    if (list) list.push(gpa & 0xfff);
    else byFrame.set(frame, [gpa & 0xfff]);
  }
  const out: number[] = [];
  const directory = (cr3 & ~0xfff) >>> 0;
  if (!memory.isRam(directory, PAGE_SIZE)) return [];
  for (let pdi = 0; pdi < 1024; pdi++) {
    const pde = memory.read(directory + pdi * 4, 4);
    if ((pde & 1) === 0) continue;
    const table = (pde & ~0xfff) >>> 0;
    if (!memory.isRam(table, PAGE_SIZE)) continue;
    for (let pti = 0; pti < 1024; pti++) {
      const pte = memory.read(table + pti * 4, 4);
      if ((pte & 1) === 0) continue;
      const offsets = byFrame.get((pte & ~0xfff) >>> 0);
      if (!offsets) continue;
      const base = ((pdi << 22) | (pti << 12)) >>> 0;
      for (const offset of offsets) out.push((base | offset) >>> 0);
    }
  }
  return out;
}
