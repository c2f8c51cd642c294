// Runs the debug adapter inside the extension host: the same HyperstepSession
// that `hyperstep-dap` runs on stdio, given a file reader that sees what the
// editor sees (an open document's text, else the file on disk).

import * as fs from 'fs';
import * as vscode from 'vscode';
import { HyperstepSession } from '../debug/session';

/** Reads guest sources for the assembler; open (possibly unsaved) documents win over the disk. */
export const editorFileReader = {
  readFile(filePath: string): string | undefined {
    const open = vscode.workspace.textDocuments.find((document) => document.uri.scheme === 'file' && document.uri.fsPath === filePath);
    if (open) return open.getText();
    try {
      return fs.readFileSync(filePath, 'utf8');
    } catch {
      return undefined;
    }
  },
};

export class InlineDebugAdapterFactory implements vscode.DebugAdapterDescriptorFactory {
  createDebugAdapterDescriptor(): vscode.ProviderResult<vscode.DebugAdapterDescriptor> {
    return new vscode.DebugAdapterInlineImplementation(new HyperstepSession(editorFileReader));
  }
}
