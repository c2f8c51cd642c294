// Exhaustive switches: a switch over a closed type (an opcode, a memory-access
// kind) ends in one of these, so a member the switch forgot fails to compile
// there instead of falling through at run time.

/** The default of a switch that cannot run: every member has its case. Throws if it does run (a hyperstep bug). */
export function assertNever(value: never, what = 'value'): never {
  throw new Error(`unhandled ${what}: ${String(value)}`);
}

/**
 * The default of a switch over a value decoded from guest bytes: it does run,
 * for bytes outside the type (an undefined opcode), but not for a member, so a
 * member without a case still fails to compile here. Returns the value.
 */
export function outsideType(value: never): number {
  return value;
}
