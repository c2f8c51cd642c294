// Machine descriptions: a JSON file that lists the guests of one machine (each
// with its program, memory and keyboard input) and optionally the settings to
// run them under. Paths are relative to the JSON file. Parsing never throws
// anything but ConfigError with a message that names the offending field.
//
// {
//   "virtualization": "trap-and-emulate", "paging": "shadow-proactive",
//   "kernelShadows": "separate", "tlbEntries": 16,
//   "guests": [
//     { "name": "os", "program": "os/kernel.g32", "memory": 1048576,
//       "input": "abc", "inputAt": [{ "tick": 3000, "text": "k" }] }
//   ]
// }

import * as path from 'path';
import { PAGE_SIZE } from '../machine/isa';
import { TimedInput } from '../machine/devices/keyboard';
import { MAX_MEMORY_BYTES } from '../machine/memory';
import { MAX_TLB_ENTRIES } from '../machine/tlb';
import { ConfigError, KERNEL_SHADOWS, PAGING_SETTINGS, Virtualization, VIRTUALIZATIONS } from '../hypervisor/system';
import { KernelShadows, PagingSetting } from '../hypervisor/shadow/shadowPaging';

export interface GuestDescription {
  name: string;
  /** Absolute path of the guest's .g32 program. */
  program: string;
  memory?: number;
  inputs: TimedInput[];
}

export interface MachineDescription {
  virtualization?: Virtualization;
  paging?: PagingSetting;
  kernelShadows?: KernelShadows;
  tlbEntries?: number;
  guests: GuestDescription[];
}

function fail(file: string, message: string): never {
  throw new ConfigError(`${file}: ${message}`);
}

function oneOf<T extends string>(file: string, field: string, value: unknown, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !allowed.includes(value as T)) fail(file, `"${field}" must be one of ${allowed.map((a) => `"${a}"`).join(', ')}, got ${JSON.stringify(value)}`);
  return value as T;
}

function wholeNumber(file: string, field: string, value: unknown, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) fail(file, `"${field}" must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  return value;
}

export function parseMachineDescription(text: string, file: string): MachineDescription {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    fail(file, `not valid JSON: ${(e as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail(file, 'expected a JSON object with a "guests" array');
  const o = json as Record<string, unknown>;
  const known = new Set(['virtualization', 'paging', 'kernelShadows', 'tlbEntries', 'guests', '$schema', 'description']);
  for (const key of Object.keys(o)) if (!known.has(key)) fail(file, `unknown field "${key}"; known fields: ${[...known].filter((k) => k !== '$schema').join(', ')}`);
  if (!Array.isArray(o.guests) || o.guests.length === 0) fail(file, '"guests" must be a non-empty array');
  const dir = path.dirname(file);
  const names = new Set<string>();
  const guests = o.guests.map((g: unknown, i: number): GuestDescription => {
    const where = `guests[${i}]`;
    if (typeof g !== 'object' || g === null || Array.isArray(g)) fail(file, `${where} must be an object`);
    const guest = g as Record<string, unknown>;
    for (const key of Object.keys(guest)) if (!['name', 'program', 'memory', 'input', 'inputAt'].includes(key)) fail(file, `${where}: unknown field "${key}"`);
    if (typeof guest.program !== 'string' || guest.program === '') fail(file, `${where}.program must be the path of a .g32 file`);
    const name = guest.name === undefined ? `guest${i}` : guest.name;
    if (typeof name !== 'string' || name === '') fail(file, `${where}.name must be a non-empty string`);
    if (names.has(name)) fail(file, `${where}.name "${name}" is used twice`);
    names.add(name);
    const memory = wholeNumber(file, `${where}.memory`, guest.memory, PAGE_SIZE, MAX_MEMORY_BYTES);
    if (memory !== undefined && memory % PAGE_SIZE !== 0) fail(file, `${where}.memory must be a multiple of ${PAGE_SIZE}`);
    const inputs: TimedInput[] = [];
    if (guest.input !== undefined) {
      if (typeof guest.input !== 'string') fail(file, `${where}.input must be a string`);
      inputs.push({ tick: 0, bytes: Buffer.from(guest.input, 'utf8') });
    }
    if (guest.inputAt !== undefined) {
      if (!Array.isArray(guest.inputAt)) fail(file, `${where}.inputAt must be an array of { "tick": N, "text": "..." }`);
      guest.inputAt.forEach((entry: unknown, j: number) => {
        const e = entry as Record<string, unknown>;
        if (typeof e !== 'object' || e === null || typeof e.text !== 'string') fail(file, `${where}.inputAt[${j}] must be { "tick": N, "text": "..." }`);
        const tick = wholeNumber(file, `${where}.inputAt[${j}].tick`, e.tick, 0, Number.MAX_SAFE_INTEGER) ?? 0;
        inputs.push({ tick, bytes: Buffer.from(e.text, 'utf8') });
      });
    }
    return { name, program: path.resolve(dir, guest.program), memory, inputs };
  });
  return {
    virtualization: oneOf(file, 'virtualization', o.virtualization, VIRTUALIZATIONS),
    paging: oneOf(file, 'paging', o.paging, PAGING_SETTINGS),
    kernelShadows: oneOf(file, 'kernelShadows', o.kernelShadows, KERNEL_SHADOWS),
    tlbEntries: wholeNumber(file, 'tlbEntries', o.tlbEntries, 0, MAX_TLB_ENTRIES),
    guests,
  };
}
