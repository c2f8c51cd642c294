// Launch configurations for the `hyperstep` debugger: F5 with no launch.json
// debugs the active .g32 file (else the one open or in the workspace, else the
// user picks; programChoice.ts), stopping on entry; a program that is not a
// .g32 file or a machine description (launch.json itself, through "${file}")
// is refused with a message naming it; and the Run view's dropdown offers the
// active file under each virtualization setting. The adapter itself checks
// every attribute (src/debug/launchConfig.ts).

import * as path from 'path';
import * as vscode from 'vscode';
import { Setting, VIRTUALIZATION_TEXT } from '../hypervisor/settings';
import { pickProgram, programProblem } from './programChoice';

/** The dropdown's settings, named by their labels (paravirtual is left out: it needs a kernel written for it). */
const SETTINGS: readonly Setting[] = [
  { virtualization: 'none' },
  { virtualization: 'trap-and-emulate', paging: 'shadow-on-demand' },
  { virtualization: 'binary-translation', paging: 'shadow-proactive' },
  { virtualization: 'hardware-assist', paging: 'nested' },
];

/**
 * Which documents can be launched and the path the adapter knows each by, and
 * how to read a file that is not open: file paths and the disk on the desktop
 * (desktopLocator.ts), workspace paths in the browser, where a file that is not
 * open is read by the adapter itself (through `workspace.fs`).
 */
export interface ProgramLocator {
  canLaunch(uri: vscode.Uri): boolean;
  programPath(uri: vscode.Uri): string;
  readClosedFile(file: string): string | undefined;
}

function activeG32File(locator: ProgramLocator): vscode.Uri | undefined {
  const document = vscode.window.activeTextEditor?.document;
  return document?.languageId === 'g32' && locator.canLaunch(document.uri) ? document.uri : undefined;
}

function activeFile(locator: ProgramLocator): string | undefined {
  const uri = vscode.window.activeTextEditor?.document.uri;
  return uri && locator.canLaunch(uri) ? locator.programPath(uri) : undefined;
}

/** Files open in editor tabs (not only the visible ones). */
function openFiles(locator: ProgramLocator): string[] {
  return vscode.window.tabGroups.all
    .flatMap((group) => group.tabs)
    .map((tab) => (tab.input instanceof vscode.TabInputText ? tab.input.uri : undefined))
    .filter((uri): uri is vscode.Uri => uri !== undefined && locator.canLaunch(uri))
    .map((uri) => locator.programPath(uri));
}

function fileReader(locator: ProgramLocator): (file: string) => string | undefined {
  return (file) => {
    const open = vscode.workspace.textDocuments.find((d) => locator.canLaunch(d.uri) && locator.programPath(d.uri) === file);
    return open ? open.getText() : locator.readClosedFile(file);
  };
}

/** F5 with no launch.json: the active .g32 file, else the one open or in the workspace, else the user picks. */
async function chooseProgram(locator: ProgramLocator): Promise<string | undefined> {
  const workspace = (await vscode.workspace.findFiles('**/*.g32', '**/node_modules/**', 200)).filter((uri) => locator.canLaunch(uri)).map((uri) => locator.programPath(uri));
  const pick = pickProgram(activeFile(locator), openFiles(locator), workspace, fileReader(locator));
  if (pick.kind === 'file') return pick.program;
  if (pick.kind === 'none') {
    void vscode.window.showInformationMessage(pick.message);
    return undefined;
  }
  const chosen = await vscode.window.showQuickPick(
    pick.candidates.map((file) => ({ label: path.basename(file), description: vscode.workspace.asRelativePath(file), file })),
    {
      placeHolder: 'Which program should hyperstep debug?',
    },
  );
  return chosen?.file;
}

export class HyperstepConfigurationProvider implements vscode.DebugConfigurationProvider {
  constructor(private readonly locator: ProgramLocator) {}

  async resolveDebugConfiguration(folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration): Promise<vscode.DebugConfiguration | undefined> {
    // No launch.json (F5): VS Code passes an empty configuration.
    if (!config.type && !config.request && !config.name) {
      const program = await chooseProgram(this.locator);
      if (!program) return undefined; // abort the launch
      config.type = 'hyperstep';
      config.request = 'launch';
      config.name = `Debug ${path.basename(program)}`;
      config.program = program;
      config.stopOnEntry = true;
    }
    if (!config.program) {
      const file = activeG32File(this.locator);
      if (!file) {
        void vscode.window.showInformationMessage('hyperstep: open a .g32 file, or set "program" in launch.json, to start debugging.');
        return undefined; // abort the launch
      }
      config.program = this.locator.programPath(file);
    }
    // A relative program is relative to the workspace folder, not to VS Code's own directory.
    if (config.cwd === undefined && folder) config.cwd = this.locator.programPath(folder.uri);
    return config;
  }

  /** After "${file}" and the like are replaced: refuses, with a message naming the file, a program that is not one. */
  resolveDebugConfigurationWithSubstitutedVariables(_folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration): vscode.DebugConfiguration | undefined {
    if (typeof config.program !== 'string') return config;
    const program = path.resolve(typeof config.cwd === 'string' ? config.cwd : '', config.program);
    const problem = programProblem(program, fileReader(this.locator), program === activeFile(this.locator));
    if (problem) {
      void vscode.window.showErrorMessage(problem);
      return undefined; // abort the launch
    }
    return config;
  }
}

/** The Run view's dropdown: the active .g32 file under each virtualization setting. */
export class DynamicConfigurationProvider implements vscode.DebugConfigurationProvider {
  constructor(private readonly locator: ProgramLocator) {}

  provideDebugConfigurations(): vscode.DebugConfiguration[] {
    const file = activeG32File(this.locator);
    if (!file) return [];
    const program = this.locator.programPath(file);
    const name = path.basename(program);
    return SETTINGS.map((setting) => ({
      type: 'hyperstep',
      request: 'launch',
      name: `${name} on ${VIRTUALIZATION_TEXT[setting.virtualization].label}`,
      program,
      stopOnEntry: true,
      ...setting,
    }));
  }
}
