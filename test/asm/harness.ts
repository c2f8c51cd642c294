// Shared checks for the assembler tests: assemble inline text and compare
// bytes or diagnostics in one call, so a change of API touches one file.

import * as assert from 'node:assert/strict';
import { AssembleResult, assemble, assembleText, formatDiagnostic } from '../../src/asm';

/** Prepended to snippets that are not about the entry point. */
export const ENTRY = '_start:\n';

/** Assembles `source` (with a `_start:` line in front) and returns its diagnostics formatted, failing on none. */
export function errorsOf(source: string, options: { withEntry?: boolean } = {}): string[] {
  const result = assembleText(options.withEntry === false ? source : ENTRY + source);
  assert.equal(result.image, undefined, 'an image was built despite errors');
  assert.ok(result.diagnostics.length > 0, 'expected diagnostics');
  return result.diagnostics.map(formatDiagnostic);
}

/** Assembles `_start:` + `source` and returns all bytes from address 0 to the end (gaps zero). */
export function bytesOf(source: string): number[] {
  const result = assembleText(ENTRY + source);
  assertClean(result);
  return flatten(result);
}

export function assertClean(result: AssembleResult): void {
  assert.deepEqual(result.diagnostics.map(formatDiagnostic), []);
  assert.ok(result.image, 'no image');
}

export function flatten(result: AssembleResult): number[] {
  const image = result.image!;
  const bytes = new Array<number>(image.end).fill(0);
  for (const chunk of image.chunks) chunk.bytes.forEach((byte, offset) => (bytes[chunk.address + offset] = byte));
  return bytes;
}

/** Little-endian bytes of 32-bit words. */
export function words(...values: number[]): number[] {
  return values.flatMap((value) => [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff]);
}

/** Assembles several in-memory files; the first is the main file. */
export function assembleFiles(files: Record<string, string>): AssembleResult {
  const names = Object.keys(files);
  return assemble(names[0], { readFile: (file) => files[file] });
}

/** A reader over the bytes of an image. */
export function imageReader(result: AssembleResult): (address: number) => number | undefined {
  const image = result.image!;
  return (address) => {
    for (const chunk of image.chunks) {
      if (address >= chunk.address && address < chunk.address + chunk.bytes.length) return chunk.bytes[address - chunk.address];
    }
    return undefined;
  };
}
