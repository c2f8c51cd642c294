// Guest sources in VS Code for the Web. The assembler reads files
// synchronously, but a virtual workspace can only be read through
// `vscode.workspace.fs`, which is asynchronous. So before a session starts, the
// program is loaded once with a reader that notes every file it was missing;
// those are fetched, and the load is tried again until nothing is missing
// (includes of includes, the guests of a machine description). The adapter then
// reads from what was fetched, with open editors winning, as on the desktop.
//
// Paths inside the adapter are the workspace URI's path (`/os/kernel.g32`); the
// session maps them back to URIs of the workspace's scheme for the client.

import * as vscode from 'vscode';
import type { SourceRead } from '../asm';
import type { FileReader } from '../debug/runtime';
import { loadProgram } from '../loader/program';
import { MAX_SOURCE_FILE_BYTES, tooLarge } from '../loader/sourceLimit';

/** Include chains deeper than this are the assembler's to report, not ours to chase. */
const MAX_ROUNDS = 32;

export class WorkspaceSources implements FileReader {
  private readonly fetched = new Map<string, SourceRead>();
  private readonly missing = new Set<string>();

  /** `base` names the scheme and authority of the workspace the paths live in. */
  constructor(private readonly base: vscode.Uri) {}

  uriOf(file: string): vscode.Uri {
    return this.base.with({ path: file });
  }

  /** A property, not a method: the loader calls it detached from this object. */
  readonly readSourceFile = (file: string): SourceRead => {
    const open = vscode.workspace.textDocuments.find((document) => document.uri.scheme === this.base.scheme && document.uri.authority === this.base.authority && document.uri.path === file);
    if (open) return { text: open.getText() };
    const fetched = this.fetched.get(file);
    if (fetched) return fetched;
    this.missing.add(file);
    return { error: 'not read yet' };
  };

  /** Fetches everything that loading `program` reads. */
  async preload(program: string): Promise<void> {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      this.missing.clear();
      try {
        loadProgram(program, { readSourceFile: this.readSourceFile });
      } catch {
        // A bad machine description or an unreadable file: the session reports it at launch.
      }
      const wanted = [...this.missing];
      if (wanted.length === 0) return;
      await Promise.all(wanted.map(async (file) => this.fetched.set(file, await this.fetch(file))));
    }
  }

  private fetch(file: string): Promise<SourceRead> {
    return readWorkspaceFile(this.uriOf(file));
  }
}

/** The file's text, or why it is refused, in the words the desktop reader uses (loader/sourceFile.ts). */
export async function readWorkspaceFile(uri: vscode.Uri): Promise<SourceRead> {
  let stat: vscode.FileStat;
  try {
    stat = await vscode.workspace.fs.stat(uri);
  } catch {
    return { error: 'no such file' };
  }
  if ((stat.type & vscode.FileType.File) === 0) return { error: 'not a regular file' };
  if (stat.size > MAX_SOURCE_FILE_BYTES) return { error: tooLarge(stat.size, MAX_SOURCE_FILE_BYTES) };
  try {
    return { text: new TextDecoder().decode(await vscode.workspace.fs.readFile(uri)) };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}
