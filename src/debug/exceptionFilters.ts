// The exception breakpoint filters: one per hypervisor event kind (the ids are
// the HypervisorEventKind values, README), each with an optional condition in
// a tiny syntax over the event's fields:
//
//   condition := clause (('&&' | 'and') clause)*
//   clause    := FIELD OP VALUE
//   OP        := == | != | < | <= | > | >= | contains
//   VALUE     := a number (0x.., decimal) or a "string" or a bare word
//   FIELD     := address | pc | vector | error | instruction | mode | guest | ticks | description
//
// e.g. `address == 0x1000`, `instruction contains "in"`, `mode == user && vector == 14`.
// `mode` is `user` or `kernel` (the guest's pretend mode). A clause about a
// field the event does not have is false.

import { HypervisorEventKind } from '../hypervisor/events';

export interface FilterDefinition {
  filter: HypervisorEventKind;
  label: string;
  description: string;
  /** Stops before the hypervisor handles the trap (rather than right after the event). */
  isBeforeHandling: boolean;
}

/** The divergence search (the `divergence` filter) compares at most this many retired instructions with bare hardware. */
export const DIVERGENCE_SEARCH_LIMIT = 2_000_000;

export const EXCEPTION_FILTERS: readonly FilterDefinition[] = [
  {
    filter: 'protection-fault',
    label: 'Protection fault (#GP)',
    isBeforeHandling: true,
    description:
      "Every protection fault the real CPU raises, under every setting (on bare hardware too), at the faulting instruction: before the hypervisor handles the trap, or (bare hardware, and hardware assist's guest mode) before the guest's handler is entered.",
  },
  {
    filter: 'privileged-emulated',
    label: 'Privileged instruction emulated',
    isBeforeHandling: true,
    description: 'A privileged instruction the guest ran in pretend kernel mode, before the hypervisor emulates it.',
  },
  { filter: 'io-emulated', label: 'Port or memory-mapped I/O emulated', isBeforeHandling: true, description: 'An in/out or a console access, before the hypervisor emulates it.' },
  { filter: 'syscall', label: 'System call', isBeforeHandling: true, description: "A syscall instruction, before the guest's handler is entered (under the hypervisor, before it is reflected)." },
  {
    filter: 'reflected',
    label: 'Exception reflected to the guest',
    isBeforeHandling: false,
    description: 'Right after the hypervisor reflected an exception or interrupt into the guest: the guest handler is about to run.',
  },
  {
    filter: 'guest-page-fault',
    label: 'Guest-visible page fault',
    isBeforeHandling: true,
    description: "A page fault the guest sees (its own table does not allow the access), at the faulting instruction, before the guest's handler is entered.",
  },
  {
    filter: 'hidden-page-fault',
    label: 'Hidden page fault (shadow fill)',
    isBeforeHandling: true,
    description: 'A page fault only the shadow page table caused, before the hypervisor fills the shadow entry.',
  },
  { filter: 'shadow-dropped', label: 'Shadow page table dropped', isBeforeHandling: false, description: 'Right after the hypervisor dropped shadow page tables.' },
  { filter: 'cr3-load', label: 'Guest cr3 load', isBeforeHandling: false, description: 'Right after the guest loaded cr3 (address = the new value).' },
  { filter: 'tlb-flush', label: 'TLB flush', isBeforeHandling: false, description: 'Right after the real TLB was flushed (a cr3 load, invlpg, or the hypervisor).' },
  { filter: 'sensitive', label: 'Sensitive instruction executed', isBeforeHandling: false, description: 'Right after pushf, popf or mov rd, evt ran (they never trap).' },
  { filter: 'hypercall', label: 'Hypercall', isBeforeHandling: true, description: 'A vmcall, before the hypervisor serves it (fires only under virtualization paravirtual).' },
  {
    filter: 'bt-translate',
    label: 'Binary translation of a block',
    isBeforeHandling: false,
    description: 'Right after a guest block was translated (fires only under virtualization binary-translation).',
  },
  { filter: 'hw-exit', label: 'Hardware-assist exit', isBeforeHandling: false, description: 'Right after an exit to the hypervisor (fires only under virtualization hardware-assist).' },
  {
    filter: 'divergence',
    label: 'Divergence from bare hardware',
    isBeforeHandling: false,
    description: `Right after the first instruction whose guest-visible effect differs from bare hardware (found by running the same guest and input on bare hardware for up to ${DIVERGENCE_SEARCH_LIMIT.toLocaleString('en-US')} instructions; one guest, not under virtualization none).`,
  },
];

/** The fields a filter condition can test. */
export interface FilterEvent {
  kind: string;
  guest: number;
  pc: number;
  instruction: string;
  description: string;
  ticks: number;
  isUser: boolean;
  vector?: number;
  errorCode?: number;
  address?: number;
}

type Clause = { field: string; op: string; value: string | number };
export type FilterCondition = (event: FilterEvent) => boolean;

const FIELDS = ['address', 'pc', 'vector', 'error', 'errorcode', 'instruction', 'mode', 'guest', 'ticks', 'description', 'kind'];

export class ConditionError extends Error {}

export function parseFilterCondition(text: string | undefined): FilterCondition | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const clauses: Clause[] = text.split(/\s*(?:&&|\band\b)\s*/).map((part) => {
    const match = /^\s*([A-Za-z]+)\s*(==|!=|<=|>=|<|>|=|contains)\s*(.+?)\s*$/.exec(part);
    if (!match) throw new ConditionError(`condition '${part.trim()}' must be FIELD OP VALUE, e.g. address == 0x1000 or instruction contains "in"`);
    const field = match[1].toLowerCase();
    if (!FIELDS.includes(field)) throw new ConditionError(`unknown field '${match[1]}'; fields: address, pc, vector, error, instruction, mode, guest, ticks, description`);
    let raw = match[3];
    let value: string | number;
    if (/^".*"$/.test(raw) || /^'.*'$/.test(raw)) value = raw.slice(1, -1);
    else if (/^0x[0-9a-f]+$/i.test(raw)) value = parseInt(raw.slice(2), 16) >>> 0;
    else if (/^\d+$/.test(raw)) value = Number(raw);
    else value = raw = raw.trim();
    return { field, op: match[2] === '=' ? '==' : match[2], value };
  });
  return (event) => clauses.every((clause) => test(clause, event));
}

function fieldValue(field: string, event: FilterEvent): string | number | undefined {
  switch (field) {
    case 'address':
      return event.address;
    case 'pc':
      return event.pc;
    case 'vector':
      return event.vector;
    case 'error':
    case 'errorcode':
      return event.errorCode;
    case 'instruction':
      return event.instruction;
    case 'mode':
      return event.isUser ? 'user' : 'kernel';
    case 'guest':
      return event.guest;
    case 'ticks':
      return event.ticks;
    case 'description':
      return event.description;
    case 'kind':
      return event.kind;
  }
  return undefined;
}

function test(clause: Clause, event: FilterEvent): boolean {
  const actual = fieldValue(clause.field, event);
  if (actual === undefined) return false;
  const expected = clause.value;
  if (clause.op === 'contains') return String(actual).toLowerCase().includes(String(expected).toLowerCase());
  if (typeof actual === 'number' && typeof expected === 'number') {
    switch (clause.op) {
      case '==':
        return actual === expected;
      case '!=':
        return actual !== expected;
      case '<':
        return actual < expected;
      case '<=':
        return actual <= expected;
      case '>':
        return actual > expected;
      case '>=':
        return actual >= expected;
    }
  }
  const a = String(actual).toLowerCase();
  const b = String(expected).toLowerCase();
  switch (clause.op) {
    case '==':
      return a === b;
    case '!=':
      return a !== b;
  }
  return false;
}
