// Launch configurations for the `hyperstep` debugger: F5 on an open .g32 file
// with no launch.json debugs that file (stopping on entry), and the Run view's
// dropdown offers the active file under each virtualization setting. The
// adapter itself checks every attribute (src/debug/launchConfig.ts).

import * as path from 'path';
import * as vscode from 'vscode';

const SETTINGS: Array<{ label: string; attributes: Record<string, string> }> = [
  { label: 'bare hardware', attributes: { virtualization: 'none' } },
  { label: 'trap-and-emulate', attributes: { virtualization: 'trap-and-emulate', paging: 'shadow-on-demand' } },
  { label: 'binary translation', attributes: { virtualization: 'binary-translation', paging: 'shadow-proactive' } },
  { label: 'hardware assist', attributes: { virtualization: 'hardware-assist', paging: 'nested' } },
];

function activeG32File(): vscode.Uri | undefined {
  const document = vscode.window.activeTextEditor?.document;
  return document?.languageId === 'g32' && document.uri.scheme === 'file' ? document.uri : undefined;
}

export class HyperstepConfigurationProvider implements vscode.DebugConfigurationProvider {
  resolveDebugConfiguration(folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration): vscode.ProviderResult<vscode.DebugConfiguration> {
    // No launch.json (F5 on a .g32 file): VS Code passes an empty configuration.
    if (!config.type && !config.request && !config.name) {
      const file = activeG32File();
      if (file) {
        config.type = 'hyperstep';
        config.request = 'launch';
        config.name = `Debug ${path.basename(file.fsPath)}`;
        config.program = file.fsPath;
        config.stopOnEntry = true;
      }
    }
    if (!config.program) {
      const file = activeG32File();
      if (!file) {
        void vscode.window.showInformationMessage('hyperstep: open a .g32 file, or set "program" in launch.json, to start debugging.');
        return undefined; // abort the launch
      }
      config.program = file.fsPath;
    }
    // A relative program is relative to the workspace folder, not to VS Code's own directory.
    if (config.cwd === undefined && folder) config.cwd = folder.uri.fsPath;
    return config;
  }
}

/** The Run view's dropdown: the active .g32 file under each virtualization setting. */
export class DynamicConfigurationProvider implements vscode.DebugConfigurationProvider {
  provideDebugConfigurations(): vscode.DebugConfiguration[] {
    const file = activeG32File();
    if (!file) return [];
    const name = path.basename(file.fsPath);
    return SETTINGS.map(({ label, attributes }) => ({
      type: 'hyperstep', request: 'launch', name: `${name} on ${label}`, program: file.fsPath, stopOnEntry: true, ...attributes,
    }));
  }
}
