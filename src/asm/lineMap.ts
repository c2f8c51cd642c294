// Maps physical addresses of an assembled image to the source lines that
// emitted them and back. The debugger uses it for breakpoints, stepping and the
// disassembly view; it knows nothing of paging, so addresses here are the
// physical addresses the assembler placed bytes at.

export interface SourceLine {
  file: string;
  line: number;
}

/** One statement that emitted at least one byte. */
export interface LineMapEntry {
  address: number;
  length: number;
  file: string;
  line: number;
  isInstruction: boolean;
}

export interface InstructionLocation {
  address: number;
  length: number;
  file: string;
  line: number;
}

export class LineMap {
  private readonly entries: readonly LineMapEntry[];
  private readonly instructionList: readonly InstructionLocation[];
  /** `file` → `line` → instruction addresses. */
  private readonly addressesByLine = new Map<string, Map<number, number[]>>();
  /** `file` → sorted lines holding an instruction. */
  private readonly instructionLines = new Map<string, number[]>();

  constructor(entries: readonly LineMapEntry[] = []) {
    this.entries = [...entries].filter((entry) => entry.length > 0).sort((a, b) => a.address - b.address);
    this.instructionList = this.entries.filter((entry) => entry.isInstruction).map(({ address, length, file, line }) => ({ address, length, file, line }));
    for (const instruction of this.instructionList) {
      let byLine = this.addressesByLine.get(instruction.file);
      if (!byLine) this.addressesByLine.set(instruction.file, (byLine = new Map<number, number[]>()));
      const addresses = byLine.get(instruction.line);
      if (addresses) addresses.push(instruction.address);
      else byLine.set(instruction.line, [instruction.address]);
    }
    for (const [file, byLine] of this.addressesByLine) {
      this.instructionLines.set(
        file,
        [...byLine.keys()].sort((a, b) => a - b),
      );
    }
  }

  /** The statement (instruction or data directive) that emitted the byte at this physical address, or undefined. */
  lookup(address: number): SourceLine | undefined {
    const entry = this.entryAt(address);
    return entry ? { file: entry.file, line: entry.line } : undefined;
  }

  /** Start address of the instruction that covers `address` if it is an instruction (undefined for data). */
  instructionStart(address: number): number | undefined {
    const entry = this.entryAt(address);
    return entry?.isInstruction ? entry.address : undefined;
  }

  /** Addresses of instructions emitted by (file, line): usually one, more when a file is included twice. */
  addressesForLine(file: string, line: number): number[] {
    return [...(this.addressesByLine.get(file)?.get(line) ?? [])];
  }

  /** Nearest line at or after `line` in `file` that holds an instruction, for moving breakpoints. */
  nearestInstructionLine(file: string, line: number): number | undefined {
    const lines = this.instructionLines.get(file);
    if (!lines) return undefined;
    const index = lowerBound(lines, line, (value) => value);
    return index < lines.length ? lines[index] : undefined;
  }

  /** Every instruction as {address, length, file, line} in address order. */
  instructions(): ReadonlyArray<InstructionLocation> {
    return this.instructionList;
  }

  /** Every statement that emitted bytes, instructions and data, in address order. */
  allEntries(): ReadonlyArray<LineMapEntry> {
    return this.entries;
  }

  private entryAt(address: number): LineMapEntry | undefined {
    // The last entry starting at or before `address` is the only one that can cover it,
    // because the assembler never lets two statements overlap.
    const index = lowerBound(this.entries, address + 1, (entry) => entry.address) - 1;
    if (index < 0) return undefined;
    const entry = this.entries[index];
    return address < entry.address + entry.length ? entry : undefined;
  }
}

/** First index whose key is >= `target` in an array sorted by key. */
function lowerBound<T>(items: readonly T[], target: number, key: (item: T) => number): number {
  let low = 0;
  let high = items.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (key(items[middle]) < target) low = middle + 1;
    else high = middle;
  }
  return low;
}
