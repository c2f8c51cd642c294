// Runs the debug adapter inside the extension host: the same HyperstepSession
// that `hyperstep-dap` runs on stdio, given a file reader that sees what the
// editor sees (an open document's text, else the file on disk).

import * as vscode from 'vscode';
import { HyperstepSession } from '../debug/session';
import { readSourceFile } from '../loader/sourceFile';
import type { FileReader } from '../debug/runtime';

/** Reads guest sources for the assembler; open (possibly unsaved) documents win over the disk. */
export const editorFileReader: FileReader = {
  readSourceFile(filePath) {
    const open = vscode.workspace.textDocuments.find((document) => document.uri.scheme === 'file' && document.uri.fsPath === filePath);
    if (open) return { text: open.getText() };
    return readSourceFile(filePath);
  },
};

export class InlineDebugAdapterFactory implements vscode.DebugAdapterDescriptorFactory {
  createDebugAdapterDescriptor(): vscode.ProviderResult<vscode.DebugAdapterDescriptor> {
    return new vscode.DebugAdapterInlineImplementation(new HyperstepSession(editorFileReader));
  }
}
