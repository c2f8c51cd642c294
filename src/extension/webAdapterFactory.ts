// The inline debug adapter in VS Code for the Web: the same HyperstepSession,
// reading guest sources fetched through `vscode.workspace.fs` (see
// workspaceSources.ts), and speaking in URIs of the workspace's own scheme
// (`vscode-vfs:`, `vscode-test-web:` …) where the desktop speaks file paths.

import * as vscode from 'vscode';
import { HyperstepSession } from '../debug/session';
import { WorkspaceSources } from './workspaceSources';

/** A client path that is a URI (`scheme://…`) rather than a file path. */
const URI_PATTERN = /^[a-zA-Z][a-zA-Z0-9+.-]+:\/\//;

class WorkspaceSession extends HyperstepSession {
  constructor(private readonly sources: WorkspaceSources) {
    super(sources);
  }

  protected override convertClientPathToDebugger(clientPath: string): string {
    return URI_PATTERN.test(clientPath) ? vscode.Uri.parse(clientPath).path : clientPath;
  }

  protected override convertDebuggerPathToClient(debuggerPath: string): string {
    return this.sources.uriOf(debuggerPath).toString();
  }
}

export class WebDebugAdapterFactory implements vscode.DebugAdapterDescriptorFactory {
  async createDebugAdapterDescriptor(session: vscode.DebugSession): Promise<vscode.DebugAdapterDescriptor> {
    const base = session.workspaceFolder?.uri ?? vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.parse('vscode-vfs:/');
    const sources = new WorkspaceSources(base);
    const { program, cwd } = session.configuration as { program?: unknown; cwd?: unknown };
    if (typeof program === 'string') await sources.preload(programPath(program, cwd));
    return new vscode.DebugAdapterInlineImplementation(new WorkspaceSession(sources));
  }
}

/** The program as the adapter will resolve it: relative to `cwd`, as launchConfig.ts does. */
function programPath(program: string, cwd: unknown): string {
  if (URI_PATTERN.test(program)) return vscode.Uri.parse(program).path;
  if (program.startsWith('/') || typeof cwd !== 'string') return program;
  return `${cwd.replace(/\/$/, '')}/${program}`;
}
