// Find all references of a label or `.equ` name in every file of the program,
// straight from the assembler's reference list (definitions are references
// with `isDefinition`).

import { Location, Position } from 'vscode-languageserver';
import { AnalyzedDocument, referenceRange, symbolAt, uniqueReferences } from './analysis';

export interface ReferencesOptions {
  includeDeclaration: boolean;
}

export function references(document: AnalyzedDocument, position: Position, options: ReferencesOptions = { includeDeclaration: true }): Location[] {
  const found = symbolAt(document, position);
  const result = document.result;
  if (!found || !result) return [];
  return uniqueReferences(result.references)
    .filter((reference) => reference.symbol === found.name && (options.includeDeclaration || !reference.isDefinition))
    .map((reference) => Location.create(document.uriOf(reference.file), referenceRange(reference)));
}
