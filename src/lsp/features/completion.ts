// Completion for `.g32` files. At the start of a statement it offers mnemonics
// (privileged and sensitive ones marked) and directives; in an operand it
// offers registers, labels (global ones and the local ones of the enclosing
// global label) and `.equ` names. Which names exist comes from the assembler.

import { CompletionItem, CompletionItemKind, MarkupKind, Position, Range, TextEdit } from 'vscode-languageserver';
import { DIRECTIVES, InstrClass, MNEMONICS, REGISTER_NAMES } from '../../machine/isa';
import { AnalyzedDocument, hex, lineOf, parentAt } from './analysis';
import { classesOf, formSyntax, formsOf } from './instructionDocs';
import { cursorSlot, statementShape, wordAt } from './lineText';

export interface CompletionOptions {
  /** False when the client only renders plain-text documentation. */
  isMarkdown: boolean;
}

export function completion(document: AnalyzedDocument, position: Position, options: CompletionOptions = { isMarkdown: true }): CompletionItem[] {
  const lineText = lineOf(document.text, position.line);
  const word = wordAt(lineText, position.character);
  // Replacing the whole word (dots included) keeps `.or` → `.org` and `.lo` → `.loop`
  // right in clients whose idea of a word stops at '.'.
  const range = word ? Range.create(position.line, word.start, position.line, word.end) : Range.create(position, position);
  return itemsFor(document, position, lineText, options).map((item) => ({ ...item, filterText: item.label, textEdit: TextEdit.replace(range, item.label) }));
}

function itemsFor(document: AnalyzedDocument, position: Position, lineText: string, options: CompletionOptions): CompletionItem[] {
  const slot = cursorSlot(lineText, position.character);
  switch (slot) {
    case 'comment':
    case 'literal':
    case 'label':
      return [];
    case 'head':
      return [...mnemonicItems(options), ...directiveItems()];
    case 'operand': {
      // After `.include` only a file name makes sense, and that is a string.
      if (statementShape(lineText).head?.text.toLowerCase() === '.include') return [];
      return [...registerItems(), ...nameItems(document, position)];
    }
  }
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
    const documentation = options.isMarkdown
      ? { kind: MarkupKind.Markdown, value: formLines.map((line) => `- ${line}`).join('\n') }
      : formLines.join('\n');
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

function nameItems(document: AnalyzedDocument, position: Position): CompletionItem[] {
  const result = document.result;
  if (!result) return [];
  const parent = parentAt(result, document.file, position.line + 1);
  const items: CompletionItem[] = [];
  for (const symbol of result.symbols) {
    if (symbol.kind === 'local-label') {
      // Only the local labels of the enclosing global label are in scope.
      if (parent === undefined || symbol.name !== parent + symbol.displayName) continue;
      items.push({ label: symbol.displayName, kind: CompletionItemKind.Reference, detail: `local label of ${parent} at ${hex(symbol.value)}`, sortText: `0${symbol.displayName}` });
    } else if (symbol.kind === 'label') {
      items.push({ label: symbol.displayName, kind: CompletionItemKind.Function, detail: `label at ${hex(symbol.value)}`, sortText: `1${symbol.displayName}` });
    } else {
      items.push({ label: symbol.displayName, kind: CompletionItemKind.Constant, detail: `.equ = ${hex(symbol.value)} (${symbol.value >>> 0})`, sortText: `1${symbol.displayName}` });
    }
  }
  return items;
}
