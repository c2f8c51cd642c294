// Assembler diagnostics as LSP diagnostics, grouped per file so that an error
// in an included file shows up in that file. The assembler decides what is an
// error and where; this module only converts positions and severities.

import { Diagnostic, DiagnosticSeverity } from 'vscode-languageserver';
import { AsmDiagnostic, AssembleResult } from '../../asm';
import { isSameFile, rangeFrom } from './analysis';

export const DIAGNOSTIC_SOURCE = 'g32';

export function toLspDiagnostic(diagnostic: AsmDiagnostic): Diagnostic {
  // An empty span (an error at the end of a line) would be invisible; LSP
  // clients widen a zero-width range, but only if it is a valid position.
  const endColumn = Math.max(diagnostic.endColumn, diagnostic.endLine > diagnostic.line ? 1 : diagnostic.column);
  return {
    range: rangeFrom(diagnostic.line, diagnostic.column, endColumn, diagnostic.endLine),
    severity: diagnostic.severity === 'error' ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
    source: DIAGNOSTIC_SOURCE,
    message: diagnostic.message,
  };
}

/** The diagnostics of one file of an assembly. */
export function diagnosticsForFile(result: AssembleResult, file: string): Diagnostic[] {
  return result.diagnostics.filter((diagnostic) => isSameFile(diagnostic.file, file)).map(toLspDiagnostic);
}

/**
 * Every file of an assembly with its diagnostics, files without errors
 * included (with an empty list) so that fixed errors disappear. Keys are the
 * assembler's paths, in `result.files` order.
 */
export function diagnosticsByFile(result: AssembleResult): Map<string, Diagnostic[]> {
  const byFile = new Map<string, Diagnostic[]>();
  for (const file of result.files) byFile.set(file, []);
  for (const diagnostic of result.diagnostics) {
    const key = [...byFile.keys()].find((file) => isSameFile(file, diagnostic.file)) ?? diagnostic.file;
    const list = byFile.get(key) ?? [];
    list.push(toLspDiagnostic(diagnostic));
    byFile.set(key, list);
  }
  return byFile;
}
