// Where the language server reads files that are not open in an editor: the
// disk for `hyperstep-lsp` (nodeSourceFiles.ts), or the copies the web client
// pushes from `vscode.workspace.fs` (pushedSourceFiles.ts), since a web worker
// has no file system of its own.

export interface SourceFiles {
  /** The file's text; undefined when it is not there or cannot be read. */
  readFile(file: string): string | undefined;
  /** The `.g32` files in a folder. */
  listG32Files(folder: string): string[];
}

/** The notification by which the web client sends the workspace's `.g32` files (each path is the workspace URI's path). */
export const WORKSPACE_FILES_NOTIFICATION = 'hyperstep/workspaceFiles';

export interface WorkspaceFilesParams {
  files: Array<{ path: string; text: string }>;
  /** True when these replace every file sent before. */
  isComplete: boolean;
}
