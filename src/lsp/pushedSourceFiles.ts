// The workspace's `.g32` files as the web client last sent them
// (WORKSPACE_FILES_NOTIFICATION), for the language server in a web worker.

import * as path from 'path';
import type { SourceFiles, WorkspaceFilesParams } from './sourceFiles';

export class PushedSourceFiles implements SourceFiles {
  private readonly texts = new Map<string, string>();

  receive(params: WorkspaceFilesParams): void {
    if (params.isComplete) this.texts.clear();
    for (const { path: file, text } of params.files) this.texts.set(path.normalize(file), text);
  }

  readFile(file: string): string | undefined {
    return this.texts.get(path.normalize(file));
  }

  listG32Files(folder: string): string[] {
    const normalized = path.normalize(folder);
    return [...this.texts.keys()].filter((file) => path.dirname(file) === normalized && file.toLowerCase().endsWith('.g32'));
  }
}
