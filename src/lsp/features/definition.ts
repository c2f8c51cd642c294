// Go to definition of a label or `.equ` name, across `.include`d files. The
// assembler's reference list says which name is under the cursor and its
// symbol table says where that name is defined.

import { Location, Position } from 'vscode-languageserver';
import { AnalyzedDocument, referenceRange, symbolAt } from './analysis';

export function definition(document: AnalyzedDocument, position: Position): Location[] {
  const found = symbolAt(document, position);
  if (!found?.symbol) return [];
  return [Location.create(document.uriOf(found.symbol.file), referenceRange(found.symbol))];
}
