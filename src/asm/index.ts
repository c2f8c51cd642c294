// The public API of the assembler. The language server, the debugger and the
// command line import from here; the modules behind it are internal.

export { assemble, assembleText, formatDiagnostic, MAX_IMAGE_BYTES, SOURCE_LIMITS } from './assemble';
export { MAX_EXPRESSION_NESTING } from './expr';
export { MAX_TOKENS_PER_LINE } from './lexer';
export type { AsmDiagnostic, AsmSymbol, AssembledStatement, AssembleOptions, AssembleResult, Image, ImageChunk, SourceRead, SymbolKind, SymbolReference } from './assemble';
export { slashIncludePaths } from './includePaths';
export type { IncludePaths } from './includePaths';
export { LineMap } from './lineMap';
export type { InstructionLocation, LineMapEntry, SourceLine } from './lineMap';
export { disassembleAt, disassembleRange, formatInstr, listing, UNREADABLE_TEXT } from './disassemble';
export type { DisassembledInstr, DisassembleOptions } from './disassemble';
