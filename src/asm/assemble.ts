// Turns G32 assembly into an image, a line map and the symbol information the
// language server needs (docs/machine.md, Assembly language; docs/isa.md). Two passes: the layout pass
// parses every line, follows `.include`s and gives every statement its address
// (sizes follow from syntax alone); the encode pass evaluates expressions and
// writes bytes. It does no IO of its own: files come through `readSourceFile`.
// It never throws on user input; every problem becomes a diagnostic, and
// hostile input (include bombs, huge or deeply nested sources) meets a limit
// with a diagnostic at the spot instead of exhausting memory or the stack.

import { INSTRUCTIONS, OpInfo, OperandKind } from '../machine/isa';
import { encodeWord0 } from '../machine/decode';
import { EvalContext, Expr, SymbolExpr, evaluate, forEachSymbol } from './expr';
import { Span, splitLines } from './lexer';
import { LineMap, LineMapEntry } from './lineMap';
import { IncludePaths, slashIncludePaths } from './includePaths';
import { InstructionStatement, LabelDefinition, Operand, Statement, forEachExpr, parseLine } from './parser';

export interface AsmDiagnostic {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  endLine: number;
  /** Exclusive. */
  endColumn: number;
  message: string;
  severity: 'error' | 'warning';
}

export interface ImageChunk {
  address: number;
  bytes: Uint8Array;
}

export interface Image {
  chunks: ImageChunk[];
  entry: number;
  /** highest address + 1 covered by chunks */
  end: number;
}

export type SymbolKind = 'label' | 'local-label' | 'equ';

export interface AsmSymbol {
  /** Full name; local labels as "parent.local", e.g. "main.loop". */
  name: string;
  /** As written, e.g. ".loop". */
  displayName: string;
  kind: SymbolKind;
  value: number;
  file: string;
  line: number;
  column: number;
  endColumn: number;
}

export interface SymbolReference {
  /** Full name. */
  symbol: string;
  file: string;
  line: number;
  column: number;
  endColumn: number;
  isDefinition: boolean;
}

/** One source line as the assembler went through it, in assembly order (includes expanded). */
export interface AssembledStatement {
  file: string;
  line: number;
  /** Where the line's bytes start, or the location counter after the line when it emits none. */
  address: number;
  /** What the line emitted; empty for labels, comments, `.equ`, `.org`… */
  bytes: Uint8Array;
  isInstruction: boolean;
}

export interface AssembleResult {
  /** undefined when there is any error */
  image: Image | undefined;
  /** every error of every file, sorted by file (in `files` order) then position */
  diagnostics: AsmDiagnostic[];
  symbols: AsmSymbol[];
  /** every use and definition of a label/equ name, for the language server */
  references: SymbolReference[];
  lineMap: LineMap;
  /** main file first, then included files, as resolved paths */
  files: string[];
  /** Every line of every file in assembly order, for listings. */
  statements: AssembledStatement[];
}

/** A source file's text, or why it could not be read (shown after the path in the diagnostic). */
export type SourceRead = { text: string } | { error: string };

/** How the assembler gets files: give `readSourceFile` (it says why a file is refused), or `readFile`. */
export interface AssembleOptions {
  readSourceFile?(path: string): SourceRead;
  /** The text, or undefined when there is none (in-memory readers of tests and tools). */
  readFile?(path: string): string | undefined;
  /** How an `.include` names a file; forward-slash paths when absent. */
  includePaths?: IncludePaths;
}

/** `FILE:LINE:COL: error: message`, the one-line format of docs/isa.md, Diagnostics. */
export function formatDiagnostic(diagnostic: AsmDiagnostic): string {
  return `${diagnostic.file}:${diagnostic.line}:${diagnostic.column}: ${diagnostic.severity}: ${diagnostic.message}`;
}

export function assemble(mainFile: string, options: AssembleOptions): AssembleResult {
  return new Assembly(options).run(mainFile);
}

/** Convenience for tests: one in-memory file; `.include` finds nothing. */
export function assembleText(text: string, fileName = 'input.g32'): AssembleResult {
  return assemble(fileName, { readFile: (file) => (file === fileName ? text : undefined) });
}

/**
 * A cap on emitted bytes. G32 machines have about 1 MiB of RAM; the cap keeps
 * `.space 0xFFFFFFFF` an error instead of a 4 GiB allocation.
 */
export const MAX_IMAGE_BYTES = 16 * 1024 * 1024;

const ADDRESS_LIMIT = 0x1_0000_0000;

/**
 * Limits on what one assembly reads, includes expanded. A G32 program of 1 MiB
 * of RAM has at most 256 Ki instructions; these leave room for listings of data
 * and comments while an include bomb (files that each include the previous one
 * twice) or a file of 50 MB of blank lines stops early with a diagnostic.
 */
export const SOURCE_LIMITS = {
  /** `.include` nesting. */
  includeDepth: 32,
  /** `.include`s followed in all (a file included twice counts twice). */
  includes: 1000,
  /** Lines laid out in all (500,000 instruction lines peak at about 800 MB of the process). */
  lines: 500_000,
  /** Characters of source text laid out in all (8 Mi: two source files of the 4 MiB a reader allows). */
  characters: 8 * 1024 * 1024,
} as const;

const NO_BYTES = new Uint8Array(0);

interface SymbolRecord {
  symbol: AsmSymbol;
  /** `.equ` only. */
  expr?: Expr;
  state: 'pending' | 'evaluating' | 'done';
  /** Value known during layout (labels, and `.equ`s whose names were all defined). */
  earlyValue?: number;
}

interface Item {
  file: string;
  line: number;
  address: number;
  size: number;
  /** False when the bytes could not be placed (the error is already reported). */
  isPlaced: boolean;
  statement: Statement;
  /** The opcode form of an instruction, once operands matched one. */
  form?: OpInfo;
  /** Precomputed fill bytes for `.space`/`.align`. */
  fill?: number;
  /** Where its bytes go: a view of its image chunk, once placed items are laid out. */
  bytes?: Uint8Array;
  row: AssembledStatement;
}

interface PendingEarlyUse {
  /** The name as written in the `.org`/`.align`/`.space` line. */
  outer: SymbolExpr;
  outerFile: string;
  /** The name that was not yet defined (differs from `outer` when reached through an `.equ`). */
  missing: SymbolExpr;
}

/** All state of one `assemble` call; nothing is shared between calls. */
class Assembly {
  private readonly diagnostics: AsmDiagnostic[] = [];
  private readonly reportedKeys = new Set<string>();
  private readonly symbols = new Map<string, SymbolRecord>();
  private readonly references: SymbolReference[] = [];
  private readonly files: string[] = [];
  private readonly includeStack: string[] = [];
  /** Each file is read once per assembly however often it is included. */
  private readonly reads = new Map<string, SourceRead>();
  private includeCount = 0;
  private lineCount = 0;
  private characterCount = 0;
  private readonly items: Item[] = [];
  private readonly statements: AssembledStatement[] = [];
  private readonly pendingEarlyUses: PendingEarlyUse[] = [];
  private location = 0;
  private placedBytes = 0;
  private hasReportedOverflow = false;
  private parent: string | undefined;
  private entry: { expr: Expr; file: string; line: number } | undefined;

  constructor(private readonly options: AssembleOptions) {}

  run(mainFile: string): AssembleResult {
    const read = this.readFile(mainFile);
    let text = 'text' in read ? read.text : undefined;
    const start = { line: 1, column: 1, endColumn: 1 };
    if (text === undefined) {
      this.files.push(mainFile);
      this.report(mainFile, start, `expected a readable file, found '${mainFile}'${'error' in read && read.error ? `: ${read.error}` : ''}`);
    } else {
      const tooBig = this.exceedsSourceLimits(text);
      if (tooBig) {
        this.files.push(mainFile);
        this.report(mainFile, start, `expected ${tooBig.limit}, found ${tooBig.found} in '${mainFile}'`);
        text = undefined;
      } else {
        this.layoutFile(mainFile, text);
        this.reportEarlyUses();
      }
    }
    this.evaluateEqus();
    const chunks = this.allocateChunks();
    this.encodeItems();
    const entry = text === undefined ? undefined : this.resolveEntry(mainFile, text);
    const hasErrors = this.diagnostics.some((d) => d.severity === 'error');
    const lineMapEntries: LineMapEntry[] = this.items
      .filter((item) => item.isPlaced && item.size > 0)
      .map((item) => ({ address: item.address, length: item.size, file: item.file, line: item.line, isInstruction: item.statement.kind === 'instruction' }));
    return {
      image: hasErrors || entry === undefined ? undefined : { chunks, entry, end: chunks.length ? chunks[chunks.length - 1].address + chunks[chunks.length - 1].bytes.length : 0 },
      diagnostics: this.sortedDiagnostics(),
      symbols: [...this.symbols.values()].map((record) => record.symbol),
      references: this.references,
      lineMap: new LineMap(lineMapEntries),
      files: this.files,
      statements: this.statements,
    };
  }

  // ---- layout pass ----

  private readFile(file: string): SourceRead {
    let read = this.reads.get(file);
    if (read) return read;
    try {
      if (this.options.readSourceFile) {
        read = this.options.readSourceFile(file);
      } else {
        const text = this.options.readFile?.(file);
        read = text === undefined ? { error: '' } : { text };
      }
    } catch (error) {
      // A reader that throws is treated like one that cannot find the file: the
      // caller gets a diagnostic instead of an exception.
      read = { error: error instanceof Error ? error.message : '' };
    }
    this.reads.set(file, read);
    return read;
  }

  /** When laying out `text` as well would pass a limit of SOURCE_LIMITS: the limit and what was found. */
  private exceedsSourceLimits(text: string): { limit: string; found: string } | undefined {
    if (this.characterCount + text.length > SOURCE_LIMITS.characters) {
      return {
        limit: `at most ${SOURCE_LIMITS.characters / (1024 * 1024)} Mi characters in all (includes expanded)`,
        found: this.characterCount === 0 ? `${text.length} characters` : `${text.length} more characters after ${this.characterCount}`,
      };
    }
    const lines = countLines(text);
    if (this.lineCount + lines > SOURCE_LIMITS.lines) {
      return { limit: `at most ${SOURCE_LIMITS.lines} lines in all (includes expanded)`, found: this.lineCount === 0 ? `${lines} lines` : `${lines} more lines after ${this.lineCount}` };
    }
    return undefined;
  }

  private layoutFile(file: string, text: string): void {
    if (!this.files.includes(file)) this.files.push(file);
    this.includeStack.push(file);
    this.characterCount += text.length;
    const lines = splitLines(text);
    this.lineCount += lines.length;
    for (let index = 0; index < lines.length; index++) this.layoutLine(file, index + 1, lines[index]);
    this.includeStack.pop();
  }

  private layoutLine(file: string, line: number, lineText: string): void {
    const parsed = parseLine(lineText, line, this.parent);
    this.parent = parsed.parentAfter;
    for (const error of parsed.errors) this.report(file, error, error.message);
    for (const label of parsed.labels) {
      this.define(label, label.isLocal ? 'local-label' : 'label', file, this.location, undefined);
    }
    const statement = parsed.statement;
    if (statement?.kind === 'equ') this.define(statement.name, 'equ', file, 0, statement.expr);
    for (const use of parsed.uses) this.addReference(use.name, file, use.span, false);

    const row: AssembledStatement = { file, line, address: this.location, bytes: NO_BYTES, isInstruction: false };
    this.statements.push(row);
    if (!statement) return;
    switch (statement.kind) {
      case 'instruction': {
        const form = this.selectForm(file, statement);
        row.isInstruction = true;
        this.place(file, line, statement, form ? form.length : guessedLength(statement), row, { form });
        break;
      }
      case 'word':
        this.place(file, line, statement, 4 * statement.values.length, row, {});
        break;
      case 'byte':
        this.place(file, line, statement, statement.values.length, row, {});
        break;
      case 'ascii': {
        const size = statement.strings.reduce((sum, bytes) => sum + bytes.length + (statement.isZeroTerminated ? 1 : 0), 0);
        this.place(file, line, statement, size, row, {});
        break;
      }
      case 'org': {
        const target = this.evaluateEarly(statement.expr, file);
        if (target === undefined) break;
        if (target < this.location) {
          this.report(file, statement.expr.span, `expected an address at or after ${hex(this.location)} (.org only moves forward), found ${hex(target)}`);
          break;
        }
        this.location = target;
        row.address = target;
        break;
      }
      case 'align': {
        const alignment = this.evaluateEarly(statement.expr, file);
        if (alignment === undefined) break;
        if (alignment === 0 || (alignment & (alignment - 1)) !== 0) {
          this.report(file, statement.expr.span, `expected a power of two, found ${alignment}`);
          break;
        }
        const padding = (alignment - (this.location % alignment)) % alignment;
        this.place(file, line, statement, padding, row, { fill: 0 });
        break;
      }
      case 'space': {
        const size = this.evaluateEarly(statement.size, file);
        const fillValue = statement.fill ? this.evaluateEarly(statement.fill, file) : 0;
        const fill = fillValue === undefined || !statement.fill ? fillValue : this.checkByte(fillValue, file, statement.fill.span);
        if (size === undefined) break;
        this.place(file, line, statement, size, row, { fill: fill ?? 0 });
        break;
      }
      case 'entry':
        if (this.entry) {
          this.report(file, statement.span, `expected one .entry, found another (the first is at ${this.entry.file}:${this.entry.line})`);
        } else {
          this.entry = { expr: statement.expr, file, line };
        }
        break;
      case 'include':
        this.include(file, statement.path, statement.pathSpan);
        break;
      case 'equ':
        break;
    }
  }

  private place(file: string, line: number, statement: Statement, size: number, row: AssembledStatement, extra: { form?: OpInfo; fill?: number }): void {
    const address = this.location;
    let isPlaced = true;
    if (address + size > ADDRESS_LIMIT) {
      isPlaced = false;
      if (!this.hasReportedOverflow) {
        this.hasReportedOverflow = true;
        this.report(file, statement.span, `expected output to end at or below address 0xffffffff, found ${size} bytes at ${hex(address)}`);
      }
    } else if (this.placedBytes + size > MAX_IMAGE_BYTES) {
      isPlaced = false;
      this.report(file, statement.span, `expected at most ${MAX_IMAGE_BYTES} bytes of output in total, found ${size} more bytes here after ${this.placedBytes}`);
    } else {
      this.placedBytes += size;
    }
    this.location = address + size;
    row.address = address;
    this.items.push({ file, line, address, size, isPlaced, statement, form: extra.form, fill: extra.fill, row });
  }

  private include(fromFile: string, includePath: string, span: Span): void {
    const paths = this.options.includePaths ?? slashIncludePaths;
    const resolved = paths.resolve(fromFile, includePath);
    const normalized = paths.normalize(resolved);
    const cycleStart = this.includeStack.findIndex((file) => paths.normalize(file) === normalized);
    if (cycleStart >= 0) {
      const chain = [...this.includeStack.slice(cycleStart), resolved].join(' -> ');
      this.report(fromFile, span, `expected a file that is not already being included, found "${includePath}" (include cycle: ${chain})`);
      return;
    }
    if (this.includeStack.length >= SOURCE_LIMITS.includeDepth) {
      this.report(fromFile, span, `expected .include nesting at most ${SOURCE_LIMITS.includeDepth} files deep, found "${includePath}" one deeper (${this.includeStack[0]} -> … -> ${fromFile})`);
      return;
    }
    if (this.includeCount >= SOURCE_LIMITS.includes) {
      this.report(fromFile, span, `expected at most ${SOURCE_LIMITS.includes} .include expansions in all, found another: "${includePath}" (do files include each other over and over?)`);
      return;
    }
    const read = this.readFile(resolved);
    if (!('text' in read)) {
      this.report(fromFile, span, `expected a readable file, found "${includePath}" (looked for ${resolved})${read.error ? `: ${read.error}` : ''}`);
      return;
    }
    const tooBig = this.exceedsSourceLimits(read.text);
    if (tooBig) {
      this.report(fromFile, span, `expected ${tooBig.limit}, found "${includePath}" with ${tooBig.found}`);
      return;
    }
    this.includeCount++;
    this.layoutFile(resolved, read.text);
  }

  private define(definition: LabelDefinition, kind: SymbolKind, file: string, value: number, expr: Expr | undefined): void {
    this.addReference(definition.name, file, definition.span, true);
    const existing = this.symbols.get(definition.name);
    if (existing) {
      const first = existing.symbol;
      this.report(file, definition.span, `expected a new name, found '${definition.displayName}' (already defined at ${first.file}:${first.line}:${first.column})`);
      return;
    }
    const symbol: AsmSymbol = {
      name: definition.name,
      displayName: definition.displayName,
      kind,
      value,
      file,
      line: definition.span.line,
      column: definition.span.column,
      endColumn: definition.span.endColumn,
    };
    this.symbols.set(definition.name, kind === 'equ' ? { symbol, expr, state: 'pending' } : { symbol, state: 'done', earlyValue: value });
  }

  private addReference(symbol: string, file: string, span: Span, isDefinition: boolean): void {
    this.references.push({ symbol, file, line: span.line, column: span.column, endColumn: span.endColumn, isDefinition });
  }

  /**
   * Evaluates an argument of `.org`, `.align` or `.space`, which decides later
   * addresses and so may only use names defined on earlier lines (§8).
   */
  private evaluateEarly(expr: Expr, file: string): number | undefined {
    // The .equs it reaches get their values first, deepest first, on an explicit
    // stack: a chain of 100,000 .equs needs no recursion. Names not defined yet
    // are remembered per .equ and reported at the name `expr` uses.
    const missingOf = new Map<SymbolRecord, SymbolExpr[]>();
    const visits = new Map<SymbolRecord, 'visiting' | 'done'>();
    const stack: SymbolRecord[] = [];
    const pushIfNeeded = (symbol: SymbolExpr): void => {
      const record = this.symbols.get(symbol.name);
      if (record?.expr && record.earlyValue === undefined && !visits.has(record)) stack.push(record);
    };
    forEachSymbol(expr, pushIfNeeded);
    while (stack.length > 0) {
      const record = stack[stack.length - 1];
      const visit = visits.get(record);
      if (visit === 'done') {
        stack.pop();
      } else if (visit === undefined) {
        visits.set(record, 'visiting');
        forEachSymbol(record.expr!, pushIfNeeded);
      } else {
        stack.pop();
        visits.set(record, 'done');
        const missing: SymbolExpr[] = [];
        const value = evaluate(record.expr!, {
          report: (span, message) => this.report(record.symbol.file, span, message),
          resolve: (symbol) => {
            const dependency = this.symbols.get(symbol.name);
            if (!dependency) addMissing(missing, [symbol]);
            else addMissing(missing, missingOf.get(dependency) ?? []);
            // Undefined for a name missing or in a cycle; the encode pass reports cycles.
            return dependency?.earlyValue;
          },
        });
        if (missing.length > 0) missingOf.set(record, missing);
        if (value !== undefined) record.earlyValue = value;
      }
    }
    return evaluate(expr, {
      report: (span, message) => this.report(file, span, message),
      resolve: (symbol) => {
        const record = this.symbols.get(symbol.name);
        if (!record) {
          this.pendingEarlyUses.push({ outer: symbol, outerFile: file, missing: symbol });
          return undefined;
        }
        for (const missing of missingOf.get(record) ?? []) this.pendingEarlyUses.push({ outer: symbol, outerFile: file, missing });
        return record.earlyValue;
      },
    });
  }

  private reportEarlyUses(): void {
    for (const { outer, outerFile, missing } of this.pendingEarlyUses) {
      if (this.symbols.has(missing.name)) {
        const via = outer === missing ? '' : ` (it uses '${missing.displayName}', defined later)`;
        this.report(outerFile, outer.span, `expected a name defined on an earlier line (.org, .align and .space need their values at once), found '${outer.displayName}'${via}`);
      } else if (outer === missing) {
        this.report(outerFile, outer.span, undefinedMessage(outer));
      }
      // Otherwise the name is missing inside an .equ, and the encode pass
      // reports it on that .equ's line.
    }
  }

  private selectForm(file: string, statement: InstructionStatement): OpInfo | undefined {
    let candidates = FORMS_BY_MNEMONIC.get(statement.mnemonic) ?? [];
    const operands = statement.operands;
    const counts = [...new Set(candidates.map((info) => info.operands.length))].sort();
    if (!counts.includes(operands.length)) {
      const maxCount = counts[counts.length - 1];
      const span = operands.length > maxCount ? spanFrom(operands[maxCount].span, operands[operands.length - 1].span) : statement.endSpan;
      this.report(file, span, `expected ${describeCounts(counts)} for '${statement.mnemonic}', found ${operands.length}`);
      return undefined;
    }
    candidates = candidates.filter((info) => info.operands.length === operands.length);
    for (let index = 0; index < operands.length; index++) {
      const operand = operands[index];
      const accepting = candidates.filter((info) => operandFits(info.operands[index], info, operand));
      if (accepting.length === 0) {
        const wanted = [...new Set(candidates.map((info) => info.operands[index]))]
          .sort((x, y) => OPERAND_KIND_ORDER.indexOf(x) - OPERAND_KIND_ORDER.indexOf(y))
          .map(describeOperandKind)
          .filter((text, position, all) => all.indexOf(text) === position);
        this.report(file, operand.span, `expected ${joinAlternatives(wanted)}, found ${describeOperand(operand)}`);
        return undefined;
      }
      candidates = accepting;
    }
    // Operand syntax picks exactly one form per mnemonic in isa.ts.
    return candidates[0];
  }

  private checkByte(value: number, file: string, span: Span): number | undefined {
    if (value <= 0xff || value >= 0xffffff80) return value & 0xff;
    const shown = value >= 0x80000000 ? `${value - ADDRESS_LIMIT}` : `${value}`;
    this.report(file, span, `expected a byte value (0 to 255, or -128 to -1), found ${shown}`);
    return undefined;
  }

  // ---- encode pass ----

  private finalContext(file: string): EvalContext {
    return {
      report: (span, message) => this.report(file, span, message),
      resolve: (symbol) => {
        const record = this.symbols.get(symbol.name);
        if (!record) {
          this.report(file, symbol.span, undefinedMessage(symbol));
          return undefined;
        }
        return this.valueOf(record, symbol, file);
      },
    };
  }

  private valueOf(record: SymbolRecord, usedAs: SymbolExpr | undefined, useFile: string): number | undefined {
    if (!record.expr) return record.symbol.value;
    if (record.state === 'done') return record.earlyValue;
    if (record.state === 'evaluating') {
      const where = usedAs?.span ?? record.symbol;
      this.report(usedAs ? useFile : record.symbol.file, where, `expected a value that does not depend on itself, found '${usedAs?.displayName ?? record.symbol.displayName}' (circular .equ)`);
      return undefined;
    }
    this.settleEqus(record);
    return record.earlyValue;
  }

  /**
   * Evaluates `root` and every pending .equ it depends on, deepest first, on an
   * explicit stack (a chain of 100,000 .equs needs no recursion). The .equs on
   * the current path are 'evaluating', so a use of one of them is a cycle.
   */
  private settleEqus(root: SymbolRecord): void {
    const stack: SymbolRecord[] = [root];
    while (stack.length > 0) {
      const record = stack[stack.length - 1];
      if (record.state === 'done') {
        stack.pop();
      } else if (record.state === 'pending') {
        record.state = 'evaluating';
        forEachSymbol(record.expr!, (symbol) => {
          const dependency = this.symbols.get(symbol.name);
          if (dependency?.expr && dependency.state === 'pending') stack.push(dependency);
        });
      } else {
        // Back on top: everything it depends on is done (or on the path: a cycle, reported as it is used).
        stack.pop();
        const value = evaluate(record.expr!, this.finalContext(record.symbol.file));
        record.state = 'done';
        record.earlyValue = value;
        if (value !== undefined) record.symbol.value = value;
      }
    }
  }

  private evaluateEqus(): void {
    for (const record of this.symbols.values()) if (record.expr) this.valueOf(record, undefined, record.symbol.file);
  }

  private encodeItems(): void {
    for (const item of this.items) this.encodeItem(item);
  }

  private encodeItem(item: Item): void {
    const statement = item.statement;
    const context = this.finalContext(item.file);
    // A view of its chunk (allocateChunks); empty for items not placed, whose sizes can be huge.
    const bytes = item.bytes ?? NO_BYTES;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    switch (statement.kind) {
      case 'instruction': {
        if (!item.form) {
          // Still evaluate the operands so that their own errors are reported too.
          forEachExpr(statement, (expr) => evaluate(expr, context));
          break;
        }
        const encoded = encodeInstruction(item.form, statement.operands, (expr) => evaluate(expr, context) ?? 0);
        bytes.set(encoded.subarray(0, bytes.length));
        break;
      }
      case 'word':
        statement.values.forEach((expr, index) => {
          const value = evaluate(expr, context) ?? 0;
          if (bytes.length) view.setUint32(index * 4, value, true);
        });
        break;
      case 'byte':
        statement.values.forEach((expr, index) => {
          const value = evaluate(expr, context);
          const byte = value === undefined ? 0 : (this.checkByte(value, item.file, expr.span) ?? 0);
          if (bytes.length) bytes[index] = byte;
        });
        break;
      case 'ascii': {
        if (!bytes.length) break;
        let offset = 0;
        for (const text of statement.strings) {
          bytes.set(text, offset);
          offset += text.length + (statement.isZeroTerminated ? 1 : 0);
        }
        break;
      }
      case 'space':
      case 'align':
        bytes.fill(item.fill ?? 0);
        break;
      default:
        break;
    }
    item.row.bytes = bytes;
  }

  private resolveEntry(mainFile: string, mainText: string): number | undefined {
    if (this.entry) return evaluate(this.entry.expr, this.finalContext(this.entry.file));
    const start = this.symbols.get('_start');
    if (start) return start.symbol.value;
    const lines = splitLines(mainText);
    const lastLine = lines.length;
    const endColumn = lines[lastLine - 1].length + 1;
    this.report(mainFile, { line: lastLine, column: endColumn, endColumn }, "expected a '_start' label or '.entry LABEL', found end of file");
    return undefined;
  }

  /**
   * One buffer per run of adjacent placed items, each item getting its view of
   * it: the image is allocated once, not once per line and again when joined.
   */
  private allocateChunks(): ImageChunk[] {
    // Items are in address order and never overlap: `.org` only moves forward
    // and output may not pass 0xFFFFFFFF, so the location counter only grows.
    const groups: Array<{ address: number; end: number; items: Item[] }> = [];
    for (const item of this.items) {
      if (!item.isPlaced || item.size === 0) continue;
      const last = groups[groups.length - 1];
      if (last && last.end === item.address) {
        last.items.push(item);
        last.end += item.size;
      } else {
        groups.push({ address: item.address, end: item.address + item.size, items: [item] });
      }
    }
    return groups.map((group) => {
      const chunk = new Uint8Array(group.end - group.address);
      for (const item of group.items) item.bytes = chunk.subarray(item.address - group.address, item.address - group.address + item.size);
      return { address: group.address, bytes: chunk };
    });
  }

  // ---- diagnostics ----

  private report(file: string, span: Span, message: string): void {
    // The same expression can be evaluated twice (an .equ used by .org during
    // layout and again when encoding); its error is reported once.
    const key = `${file}\0${span.line}\0${span.column}\0${message}`;
    if (this.reportedKeys.has(key)) return;
    this.reportedKeys.add(key);
    this.diagnostics.push({ file, line: span.line, column: span.column, endLine: span.line, endColumn: span.endColumn, message, severity: 'error' });
  }

  private sortedDiagnostics(): AsmDiagnostic[] {
    const fileOrder = (file: string): number => {
      const index = this.files.indexOf(file);
      return index < 0 ? this.files.length : index;
    };
    return [...this.diagnostics].sort((a, b) => fileOrder(a.file) - fileOrder(b.file) || a.line - b.line || a.column - b.column);
  }
}

/** Builds the bytes of one instruction; `valueOf` evaluates an operand expression. */
export function encodeInstruction(form: OpInfo, operands: readonly Operand[], valueOf: (expr: Expr) => number): Uint8Array {
  let fieldA = 0;
  let fieldB = 0;
  let immediate = 0;
  form.operands.forEach((kind, index) => {
    const operand = operands[index];
    if (operand.kind === 'reg') {
      if (kind === 'ra') fieldA = operand.reg;
      else fieldB = operand.reg;
    } else if (operand.kind === 'imm') {
      immediate = valueOf(operand.expr);
    } else if (operand.kind === 'mem') {
      if (operand.form !== 'abs') fieldB = operand.base;
      if (operand.form !== 'reg') immediate = valueOf(operand.expr);
    }
  });
  const bytes = new Uint8Array(form.length);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, encodeWord0(form.op, fieldA, fieldB) >>> 0, true);
  if (form.length === 8) view.setUint32(4, immediate >>> 0, true);
  return bytes;
}

function operandFits(kind: OperandKind, info: OpInfo, operand: Operand): boolean {
  switch (kind) {
    case 'ra':
    case 'rb':
      return operand.kind === 'reg';
    case 'imm':
      return operand.kind === 'imm';
    case 'mem':
      return operand.kind === 'mem' && operand.form === info.mem;
    case 'cr3':
    case 'evt':
    case 'ksp':
      return operand.kind === 'special' && operand.name === kind;
  }
}

/** The opcode forms of each mnemonic, looked up once per instruction line instead of filtering the table. */
const FORMS_BY_MNEMONIC = new Map<string, OpInfo[]>();
for (const info of INSTRUCTIONS) {
  const forms = FORMS_BY_MNEMONIC.get(info.mnemonic);
  if (forms) forms.push(info);
  else FORMS_BY_MNEMONIC.set(info.mnemonic, [info]);
}

/** Order of alternatives in "expected …" messages, so they read the same whatever isa.ts's order. */
const OPERAND_KIND_ORDER: readonly OperandKind[] = ['ra', 'rb', 'imm', 'mem', 'cr3', 'evt', 'ksp'];

function describeOperandKind(kind: OperandKind): string {
  switch (kind) {
    case 'ra':
    case 'rb':
      return 'a register';
    case 'imm':
      return 'an immediate';
    case 'mem':
      return 'a memory operand';
    default:
      return `'${kind}'`;
  }
}

function describeOperand(operand: Operand): string {
  switch (operand.kind) {
    case 'reg':
      return `register '${operand.text}'`;
    case 'imm':
      return `immediate '${operand.text}'`;
    case 'mem':
      return `memory operand '${operand.text}'`;
    case 'special':
      return `'${operand.text}'`;
  }
}

function describeCounts(counts: number[]): string {
  if (counts.length === 1 && counts[0] === 0) return 'no operands';
  const last = counts[counts.length - 1];
  return `${joinAlternatives(counts.map(String))} operand${last === 1 ? '' : 's'}`;
}

function joinAlternatives(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

/** Size of an instruction whose operands matched no form, so later addresses stay right (§8: size follows syntax). */
function guessedLength(statement: InstructionStatement): number {
  return statement.operands.some((operand) => 'expr' in operand) ? 8 : 4;
}

function undefinedMessage(symbol: SymbolExpr): string {
  return `expected a defined label or .equ name, found '${symbol.displayName}'`;
}

function spanFrom(first: Span, last: Span): Span {
  return { line: first.line, column: first.column, endColumn: last.endColumn };
}

/** Names an .equ is missing, a few at most: enough for the messages, bounded however the .equs interlock. */
const MAX_MISSING_PER_EQU = 8;

function addMissing(into: SymbolExpr[], names: readonly SymbolExpr[]): void {
  for (const name of names) {
    if (into.length >= MAX_MISSING_PER_EQU) return;
    if (!into.includes(name)) into.push(name);
  }
}

/** Lines `splitLines` would return, counted without building them. */
function countLines(text: string): number {
  let count = 1;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code === 10) count++;
    else if (code === 13) {
      count++;
      if (text.charCodeAt(index + 1) === 10) index++;
    }
  }
  return count;
}

/** Not machine/format's hexLiteral: an address past 0xffffffff must show as such, not wrap to 32 bits. */
function hex(value: number): string {
  return `0x${value.toString(16)}`;
}
