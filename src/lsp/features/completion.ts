// Completion for `.g32` files. At the start of a statement it offers mnemonics
// (privileged and sensitive ones marked) and directives; in an operand it
// offers registers, labels (global ones and the local ones of the enclosing
// global label) and `.equ` names that start with what is typed, at most
// MAX_COMPLETION_ITEMS of them (a program can define a hundred thousand names;
// the list is then marked incomplete so that the editor asks again as the user
// types). Which names exist comes from the assembler or the live name table.

import { CompletionItem, CompletionItemKind, CompletionList, MarkupKind, Position, Range, TextEdit } from 'vscode-languageserver';
import { DIRECTIVES, InstrClass, MNEMONICS, REGISTER_NAMES } from '../../machine/isa';
import { SymbolKind } from '../../asm';
import { AnalyzedDocument, documentLine } from './analysis';
import { hexWord } from '../../machine/format';
import { classesOf, formSyntax, formsOf } from './instructionDocs';
import { Word, cursorSlot, statementShape, wordAt } from './lineText';
import { namesOf } from './nameTable';

/** The most items one answer carries. */
export const MAX_COMPLETION_ITEMS = 200;

export interface CompletionOptions {
  /** False when the client only renders plain-text documentation. */
  isMarkdown: boolean;
}

export function completion(document: AnalyzedDocument, position: Position, options: CompletionOptions = { isMarkdown: true }): CompletionItem[] {
  return completionList(document, position, options).items;
}

/** The items with whether any were left out (by the typed prefix or the cap). */
export function completionList(document: AnalyzedDocument, position: Position, options: CompletionOptions = { isMarkdown: true }): CompletionList {
  const lineText = documentLine(document, position.line);
  const word = wordAt(lineText, position.character);
  // Replacing the whole word (dots included) keeps `.or` → `.org` and `.lo` → `.loop`
  // right in clients whose idea of a word stops at '.'.
  const range = word ? Range.create(position.line, word.start, position.line, word.end) : Range.create(position, position);
  const list = itemsFor(document, position, lineText, word, options);
  return { isIncomplete: list.isIncomplete, items: list.items.map((item) => ({ ...item, filterText: item.label, textEdit: TextEdit.replace(range, item.label) })) };
}

function itemsFor(document: AnalyzedDocument, position: Position, lineText: string, word: Word | undefined, options: CompletionOptions): CompletionList {
  const slot = cursorSlot(lineText, position.character);
  switch (slot) {
    case 'comment':
    case 'literal':
    case 'label':
      return { isIncomplete: false, items: [] };
    case 'head':
      return { isIncomplete: false, items: [...mnemonicItems(options), ...directiveItems()] };
    case 'operand': {
      // After `.include` only a file name makes sense, and that is a string.
      if (statementShape(lineText).head?.text.toLowerCase() === '.include') return { isIncomplete: false, items: [] };
      const prefix = word ? lineText.slice(word.start, position.character).toLowerCase() : '';
      return operandItems(document, position, prefix);
    }
  }
}

/** Registers and names starting with `prefix` (lower case), local labels in scope first, at most MAX_COMPLETION_ITEMS. */
function operandItems(document: AnalyzedDocument, position: Position, prefix: string): CompletionList {
  const items: CompletionItem[] = [];
  let isIncomplete = false;
  const add = (item: CompletionItem): boolean => {
    if (!item.label.toLowerCase().startsWith(prefix)) {
      if (prefix) isIncomplete = true;
      return true;
    }
    if (items.length >= MAX_COMPLETION_ITEMS) {
      isIncomplete = true;
      return false;
    }
    items.push(item);
    return true;
  };
  const names = namesOf(document);
  // Only the local labels of the enclosing global label are in scope.
  for (const symbol of names?.localsAt(document.file, position.line + 1) ?? []) {
    const parent = symbol.name.slice(0, symbol.name.length - symbol.displayName.length);
    if (!add({ label: symbol.displayName, kind: CompletionItemKind.Reference, detail: `local label of ${parent}${valueText(' at ', symbol.value)}`, sortText: `0${symbol.displayName}` })) break;
  }
  for (const item of registerItems()) if (!add(item)) break;
  // Names that cannot match are skipped before an item is built; the filter still marks the list incomplete.
  const accept = (displayName: string, kind: SymbolKind): boolean => {
    if (kind === 'local-label') return false;
    if (displayName.toLowerCase().startsWith(prefix)) return true;
    isIncomplete = true;
    return false;
  };
  names?.forEach((symbol) => {
    if (symbol.kind === 'label') {
      return add({ label: symbol.displayName, kind: CompletionItemKind.Function, detail: `label${valueText(' at ', symbol.value)}`, sortText: `1${symbol.displayName}` });
    }
    const value = symbol.value === undefined ? '' : ` = ${hexWord(symbol.value)} (${symbol.value >>> 0})`;
    return add({ label: symbol.displayName, kind: CompletionItemKind.Constant, detail: `.equ${value}`, sortText: `1${symbol.displayName}` });
  }, accept);
  return { isIncomplete, items };
}

function valueText(before: string, value: number | undefined): string {
  return value === undefined ? '' : `${before}${hexWord(value)}`;
}

function classMark(classes: readonly InstrClass[]): string {
  if (classes.includes('privileged') && classes.includes('sensitive')) return ' [privileged / sensitive forms]';
  if (classes.includes('privileged')) return classes.length > 1 ? ' [privileged forms]' : ' [privileged]';
  if (classes.includes('sensitive')) return ' [sensitive]';
  return '';
}

function mnemonicItems(options: CompletionOptions): CompletionItem[] {
  return MNEMONICS.map((mnemonic) => {
    const forms = formsOf(mnemonic);
    const classes = classesOf(mnemonic);
    const formLines = forms.map((form) => `${formSyntax(form)}${form.cls === 'ordinary' ? '' : ` (${form.cls})`}: ${form.summary}`);
    const documentation = options.isMarkdown ? { kind: MarkupKind.Markdown, value: formLines.map((line) => `- ${line}`).join('\n') } : formLines.join('\n');
    return {
      label: mnemonic,
      kind: CompletionItemKind.Keyword,
      detail: `${forms[0].summary}${classMark(classes)}`,
      documentation,
      // Privileged and sensitive instructions sort after ordinary ones of the same prefix.
      sortText: `${classes.every((cls) => cls === 'ordinary') ? '1' : '2'}${mnemonic}`,
    };
  });
}

function directiveItems(): CompletionItem[] {
  return DIRECTIVES.map((directive) => ({
    label: directive,
    kind: CompletionItemKind.Keyword,
    detail: 'directive',
    sortText: `3${directive}`,
  }));
}

function registerItems(): CompletionItem[] {
  return REGISTER_NAMES.map((register) => ({
    label: register,
    kind: CompletionItemKind.Variable,
    detail: register === 'sp' ? 'register (r15)' : 'register',
    sortText: `4${register}`,
  }));
}
