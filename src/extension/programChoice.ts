// Which file F5 debugs, decided without VS Code so it can be tested: with no
// launch.json, the active .g32 file, else the one .g32 file open or in the
// workspace, else the user picks; and before a launch, whether the program
// (often "${file}", the active editor's file, which may be launch.json itself)
// is something hyperstep can run: a .g32 program or a machine description.

import * as path from 'path';

export type ProgramPick = { kind: 'file'; program: string } | { kind: 'ask'; candidates: string[] } | { kind: 'none'; message: string };

const isG32 = (file: string): boolean => path.extname(file).toLowerCase() === '.g32';

/**
 * F5 without a launch configuration. `active`: the active editor's file;
 * `open`: files open in editors; `workspace`: the workspace's .g32 files.
 * A machine description is taken only when it is the active file.
 */
export function pickProgram(active: string | undefined, open: readonly string[], workspace: readonly string[], readFile: (file: string) => string | undefined): ProgramPick {
  if (active && (isG32(active) || isMachineDescription(readFile(active)))) return { kind: 'file', program: active };
  const openG32 = [...new Set(open.filter(isG32))];
  if (openG32.length === 1) return { kind: 'file', program: openG32[0] };
  if (openG32.length > 1) return { kind: 'ask', candidates: openG32.sort() };
  const found = [...new Set(workspace.filter(isG32))];
  if (found.length === 1) return { kind: 'file', program: found[0] };
  if (found.length > 1) return { kind: 'ask', candidates: found.sort() };
  return { kind: 'none', message: 'hyperstep: there is no .g32 program to debug. Open one (or a machine description .json) and press F5, or set "program" in launch.json.' };
}

/** True when `text` is a machine description: a JSON object with a "guests" array. */
export function isMachineDescription(text: string | undefined): boolean {
  if (text === undefined) return false;
  try {
    const json = JSON.parse(text) as unknown;
    return typeof json === 'object' && json !== null && Array.isArray((json as { guests?: unknown }).guests);
  } catch {
    return false;
  }
}

/**
 * Why `program` cannot be debugged, in words that name the file and say where
 * it came from; undefined when it is a .g32 program or a machine description
 * (or cannot be read: the adapter says so itself). `isActiveFile`: the program
 * is the active editor's file, as `"program": "${file}"` gives.
 */
export function programProblem(program: string, readFile: (file: string) => string | undefined, isActiveFile: boolean): string | undefined {
  if (isG32(program)) return undefined;
  const text = readFile(program);
  if (text === undefined) return undefined;
  const name = path.basename(program);
  const picked = isActiveFile ? `the active editor's file (what "\${file}" in "program" names)` : 'the "program" of the launch configuration';
  const fix = 'Open the .g32 program (or machine description) to debug and press F5 again, or set "program" in launch.json to its path.';
  if (path.extname(program).toLowerCase() === '.json') {
    if (isMachineDescription(text)) return undefined;
    if (name === 'launch.json' || /"configurations"\s*:/.test(text)) {
      return `hyperstep: cannot debug ${program}: it is ${picked}, and it is a launch configuration file, not a program. ${fix}`;
    }
    return `hyperstep: cannot debug ${program}: it is ${picked}, a .json file but not a machine description (an object with a "guests" array). ${fix}`;
  }
  return `hyperstep: cannot debug ${program}: it is ${picked}, and it is neither a .g32 program nor a machine description (.json). ${fix}`;
}
