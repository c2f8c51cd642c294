// Rename of labels and `.equ` names across every file of the program. Where a
// name is used comes from the assembler's reference list; this module checks
// the new name (valid, not reserved, not taken, same locality) and turns the
// references into text edits. Registers, mnemonics and directives are refused.

import { Position, Range, TextEdit, WorkspaceEdit } from 'vscode-languageserver';
import { DIRECTIVES, MNEMONICS, REGISTER_NAMES } from '../../machine/isa';
import { AnalyzedDocument, documentLine, isSameFile, referenceRange, symbolAt, uniqueReferences } from './analysis';
import { NamedSymbol } from './definitionIndex';
import { wordAt } from './lineText';

export type Refusal = { error: string };
export type PrepareRenameOutcome = { range: Range; placeholder: string } | Refusal;
export type RenameOutcome = { edit: WorkspaceEdit } | Refusal;

/** Reads the current text of a file of the program (open editors first), for the names as written. */
export type TextReader = (file: string) => string | undefined;

const NAME = /^[A-Za-z_.][A-Za-z0-9_.]*$/;

/** Why a word is not a name the user may rename or choose, or undefined when it is free. */
export function reservedReason(word: string): string | undefined {
  const lower = word.toLowerCase();
  if (REGISTER_NAMES.includes(lower)) return `'${word}' is a register`;
  if (MNEMONICS.includes(lower)) return `'${word}' is an instruction mnemonic`;
  if (DIRECTIVES.includes(lower)) return `'${word}' is a directive`;
  return undefined;
}

export function prepareRename(document: AnalyzedDocument, position: Position): PrepareRenameOutcome {
  const word = wordAt(documentLine(document, position.line), position.character);
  if (!word) return { error: 'Put the cursor on a label or .equ name to rename it.' };
  const reserved = reservedReason(word.text);
  if (reserved) return { error: `${reserved}: only labels and .equ names can be renamed.` };
  const found = symbolAt(document, position);
  if (!found?.symbol) return { error: `'${word.text}' is not a defined label or .equ name, so there is nothing to rename.` };
  return { range: found.range, placeholder: found.symbol.displayName };
}

export function rename(document: AnalyzedDocument, position: Position, requestedName: string, readText: TextReader): RenameOutcome {
  const prepared = prepareRename(document, position);
  if ('error' in prepared) return prepared;
  const result = document.result!;
  const symbol = symbolAt(document, position)!.symbol!;
  const newName = requestedName.trim();

  const invalid = checkNewName(symbol, newName);
  if (invalid) return { error: invalid };
  const isLocal = symbol.displayName.startsWith('.');
  const parent = isLocal ? symbol.name.slice(0, symbol.name.length - symbol.displayName.length) : '';
  const newFullName = parent + newName;
  if (newFullName === symbol.name) return { edit: { changes: {} } };
  const taken = result.symbols.find((other) => other.name === newFullName);
  if (taken) return { error: `'${newName}' is already defined at ${taken.file}:${taken.line}; choose another name.` };
  // A global label's local names are qualified with it, so they move too.
  const locals = isLocal ? [] : result.symbols.filter((other) => other.kind === 'local-label' && other.name === symbol.name + other.displayName);
  for (const local of locals) {
    const clash = result.symbols.find((other) => other.name === newName + local.displayName);
    if (clash)
      return { error: `Renaming '${symbol.name}' to '${newName}' would turn its local label '${local.displayName}' into '${clash.name}', which is already defined at ${clash.file}:${clash.line}.` };
  }

  const texts = new Map<string, string[]>();
  const writtenAt = (file: string, line: number, column: number, endColumn: number): string | undefined => {
    let lines = texts.get(file);
    if (!lines) {
      const text = isSameFile(file, document.file) ? document.text : readText(file);
      lines = text === undefined ? [] : text.split(/\r\n|\r|\n/);
      texts.set(file, lines);
    }
    return lines[line - 1]?.slice(column - 1, endColumn - 1);
  };

  const changes: Record<string, TextEdit[]> = {};
  const add = (file: string, range: Range, text: string): void => {
    const uri = document.uriOf(file);
    (changes[uri] ??= []).push(TextEdit.replace(range, text));
  };
  const localNames = new Set(locals.map((local) => local.name));
  for (const reference of uniqueReferences(result.references)) {
    const written = writtenAt(reference.file, reference.line, reference.column, reference.endColumn);
    if (reference.symbol === symbol.name) {
      // A local name may also be written in full (`main.loop`).
      add(reference.file, referenceRange(reference), written === symbol.name && isLocal ? newFullName : newName);
    } else if (localNames.has(reference.symbol) && written !== undefined && written.startsWith(symbol.name + '.')) {
      // `main.loop` written in full: only its `main` part changes.
      add(reference.file, Range.create(reference.line - 1, reference.column - 1, reference.line - 1, reference.column - 1 + symbol.name.length), newName);
    }
  }
  return { edit: { changes } };
}

function checkNewName(symbol: NamedSymbol, newName: string): string | undefined {
  if (!NAME.test(newName)) {
    return `'${newName}' is not a valid name: a name starts with a letter, '_' or '.' and continues with letters, digits, '_' or '.'.`;
  }
  const reserved = reservedReason(newName);
  if (reserved) return `${reserved} and is reserved; labels and .equ names cannot use it.`;
  const isLocal = symbol.displayName.startsWith('.');
  if (isLocal && !newName.startsWith('.')) return `'${symbol.displayName}' is local to its global label, so its new name must start with '.' too.`;
  if (!isLocal && newName.startsWith('.')) return `'${newName}' would be a local name; the new name of '${symbol.displayName}' must not start with '.'.`;
  if (newName === '.') return `'.' is not a valid name.`;
  return undefined;
}
