// Turns G32 machine code back into assembly text, and prints listings. Every
// text this module produces for a readable word assembles back to the same
// bytes: immediates are hex, jump targets absolute, and anything undefined is
// a `.word`. It reads memory only through the caller's `read` function.

import { decode, isValidWord0 } from '../machine/decode';
import { DisassembleOptions, formatInstr, hexWord } from '../machine/format';

export { formatInstr };
export type { DisassembleOptions };
import { AssembleResult } from './assemble';

export interface DisassembledInstr {
  address: number;
  length: number;
  /** e.g. "ld r1, [r2 + 0x10]" or ".word 0x000000ff" */
  text: string;
  isValid: boolean;
  bytes: number[];
}

/** Text shown for a word that cannot be read at all. */
export const UNREADABLE_TEXT = '??';

function wordText(word: number): string {
  return `.word ${hexWord(word)}`;
}

function readWord(address: number, read: (address: number) => number | undefined): { word: number; bytes: number[] } | undefined {
  const bytes: number[] = [];
  for (let offset = 0; offset < 4; offset++) {
    const byte = read((address + offset) >>> 0);
    if (byte === undefined) return undefined;
    bytes.push(byte & 0xff);
  }
  return { word: (bytes[0] | (bytes[1] << 8) | (bytes[2] << 16) | (bytes[3] << 24)) >>> 0, bytes };
}

/** read(address) returns a byte or undefined if unreadable */
export function disassembleAt(address: number, read: (address: number) => number | undefined, options: DisassembleOptions = {}): DisassembledInstr {
  const start = address >>> 0;
  const first = readWord(start, read);
  if (!first) return { address: start, length: 4, text: UNREADABLE_TEXT, isValid: false, bytes: [] };
  const asWord: DisassembledInstr = { address: start, length: 4, text: wordText(first.word), isValid: false, bytes: first.bytes };
  if (!isValidWord0(first.word)) return asWord;
  let second = { word: 0, bytes: [] as number[] };
  const probe = decode(first.word, 0);
  if (probe && probe.length === 8) {
    const read2 = readWord((start + 4) >>> 0, read);
    // Without its second word the instruction cannot be shown faithfully.
    if (!read2) return asWord;
    second = read2;
  }
  const decoded = decode(first.word, second.word)!;
  return { address: start, length: decoded.length, text: formatInstr(decoded, options), isValid: true, bytes: [...first.bytes, ...second.bytes] };
}

export function disassembleRange(start: number, count: number, read: (address: number) => number | undefined, options: DisassembleOptions = {}): DisassembledInstr[] {
  const result: DisassembledInstr[] = [];
  let address = start >>> 0;
  for (let index = 0; index < count; index++) {
    const instr = disassembleAt(address, read, options);
    result.push(instr);
    address = (address + instr.length) >>> 0;
  }
  return result;
}

/** Bytes shown per listing row, and rows shown per statement before eliding the rest. */
const LISTING_BYTES_PER_ROW = 8;
const LISTING_MAX_ROWS = 4;

/**
 * A listing for `hyperstep asm --listing`: one row per source line in assembly
 * order (includes expanded) with line number, address, bytes and the source
 * text; a comment row names the file whenever it changes.
 */
export function listing(result: AssembleResult, sources: Map<string, string>): string {
  const linesByFile = new Map<string, string[]>();
  const sourceLine = (file: string, line: number): string => {
    let lines = linesByFile.get(file);
    if (!lines) linesByFile.set(file, (lines = (sources.get(file) ?? '').split(/\r\n|\n|\r/)));
    return lines[line - 1] ?? '';
  };
  const bytesWidth = LISTING_BYTES_PER_ROW * 3 - 1;
  const out: string[] = [];
  let currentFile: string | undefined;
  for (const statement of result.statements) {
    if (statement.file !== currentFile) {
      currentFile = statement.file;
      out.push(`; ${currentFile}`);
    }
    const address = statement.address.toString(16).padStart(8, '0');
    const rows = Math.ceil(statement.bytes.length / LISTING_BYTES_PER_ROW);
    const shownRows = rows > LISTING_MAX_ROWS ? LISTING_MAX_ROWS - 1 : rows;
    const rowBytes = (row: number): string => [...statement.bytes.subarray(row * LISTING_BYTES_PER_ROW, (row + 1) * LISTING_BYTES_PER_ROW)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    const text = sourceLine(statement.file, statement.line);
    out.push(`${String(statement.line).padStart(5)}  ${address}  ${rowBytes(0).padEnd(bytesWidth)}  ${text}`.trimEnd());
    for (let row = 1; row < shownRows; row++) {
      const rowAddress = (statement.address + row * LISTING_BYTES_PER_ROW).toString(16).padStart(8, '0');
      out.push(`${' '.repeat(5)}  ${rowAddress}  ${rowBytes(row)}`.trimEnd());
    }
    if (shownRows < rows) {
      const rowAddress = (statement.address + shownRows * LISTING_BYTES_PER_ROW).toString(16).padStart(8, '0');
      out.push(`${' '.repeat(5)}  ${rowAddress}  ... ${statement.bytes.length - shownRows * LISTING_BYTES_PER_ROW} more bytes`);
    }
  }
  return out.join('\n') + '\n';
}
