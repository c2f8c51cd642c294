// Launch configurations for the `hyperstep` debugger: F5 with no launch.json
// debugs the active .g32 file (else the one open or in the workspace, else the
// user picks; programChoice.ts), stopping on entry; a program that is not a
// .g32 file or a machine description (launch.json itself, through "${file}")
// is refused with a message naming it; and the Run view's dropdown offers the
// active file under each virtualization setting. The adapter itself checks
// every attribute (src/debug/launchConfig.ts).

import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { pickProgram, programProblem } from './programChoice';

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

function activeFile(): string | undefined {
  const uri = vscode.window.activeTextEditor?.document.uri;
  return uri?.scheme === 'file' ? uri.fsPath : undefined;
}

/** Files open in editor tabs (not only the visible ones). */
function openFiles(): string[] {
  return vscode.window.tabGroups.all.flatMap((group) => group.tabs)
    .map((tab) => (tab.input instanceof vscode.TabInputText ? tab.input.uri : undefined))
    .filter((uri): uri is vscode.Uri => uri?.scheme === 'file').map((uri) => uri.fsPath);
}

function readFile(file: string): string | undefined {
  const open = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && d.uri.fsPath === file);
  if (open) return open.getText();
  try { return fs.readFileSync(file, 'utf8'); } catch { return undefined; }
}

/** F5 with no launch.json: the active .g32 file, else the one open or in the workspace, else the user picks. */
async function chooseProgram(): Promise<string | undefined> {
  const workspace = (await vscode.workspace.findFiles('**/*.g32', '**/node_modules/**', 200)).map((uri) => uri.fsPath);
  const pick = pickProgram(activeFile(), openFiles(), workspace, readFile);
  if (pick.kind === 'file') return pick.program;
  if (pick.kind === 'none') { void vscode.window.showInformationMessage(pick.message); return undefined; }
  const chosen = await vscode.window.showQuickPick(pick.candidates.map((file) => ({ label: path.basename(file), description: vscode.workspace.asRelativePath(file), file })), {
    placeHolder: 'Which program should hyperstep debug?',
  });
  return chosen?.file;
}

export class HyperstepConfigurationProvider implements vscode.DebugConfigurationProvider {
  async resolveDebugConfiguration(folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration): Promise<vscode.DebugConfiguration | undefined> {
    // No launch.json (F5): VS Code passes an empty configuration.
    if (!config.type && !config.request && !config.name) {
      const program = await chooseProgram();
      if (!program) return undefined; // abort the launch
      config.type = 'hyperstep';
      config.request = 'launch';
      config.name = `Debug ${path.basename(program)}`;
      config.program = program;
      config.stopOnEntry = true;
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

  /** After "${file}" and the like are replaced: refuses, with a message naming the file, a program that is not one. */
  resolveDebugConfigurationWithSubstitutedVariables(_folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration): vscode.DebugConfiguration | undefined {
    if (typeof config.program !== 'string') return config;
    const program = path.resolve(typeof config.cwd === 'string' ? config.cwd : '', config.program);
    const problem = programProblem(program, readFile, program === activeFile());
    if (problem) {
      void vscode.window.showErrorMessage(problem);
      return undefined; // abort the launch
    }
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
