// The page-fault error code (g32-isa.md §4) in words, for every place that
// prints one: the trace, stop descriptions, the timeline and the debug console.

import { PfError } from './isa';

/** e.g. 5 -> "protection, read, user": the cause, the access, the mode. */
export function describePageFaultError(code: number): string {
  const cause = code & PfError.PROTECTION ? 'protection' : 'not present';
  const access = code & PfError.FETCH ? 'fetch' : code & PfError.WRITE ? 'write' : 'read';
  const mode = code & PfError.USER ? 'user' : 'kernel';
  return `${cause}, ${access}, ${mode}`;
}

/** "error 6 (not present, write, user)". */
export function formatPageFaultError(code: number): string {
  return `error ${code} (${describePageFaultError(code)})`;
}
