// Decides which program each `.g32` file belongs to. A file that another file
// `.include`s is analysed as part of its includer (an open one first, else a
// file beside it on disk), so its names resolve and its errors are the ones
// of the real program; any other file is assembled on its own. Results are
// cached with the version of every file the assembly read, and reused until
// one of those changes (an edit elsewhere costs nothing); the cache is
// bounded. It knows paths, not URIs or the connection.

import * as path from 'path';
import { Diagnostic } from 'vscode-languageserver';
import { AssembleResult, assemble } from '../asm';
import { nodeIncludePaths } from '../loader/includePaths';
import { isSameFile } from './features/analysis';
import { diagnosticsForFile } from './features/diagnostics';

export interface ProjectHost {
  /** The text of a file: an open editor's text first, else the disk; undefined when unreadable. */
  readFile(file: string): string | undefined;
  /** Paths of the `.g32` documents open in the editor. */
  openFiles(): string[];
  /** `.g32` files on disk in a folder, for finding the includer of a file that is not open. */
  listFolder?(folder: string): string[];
  /** The version of an open document; undefined for a file read from disk (see `invalidate`). */
  versionOf?(file: string): number | undefined;
}

export interface Analysis {
  /** The file the program was assembled from. */
  root: string;
  result: AssembleResult;
}

/** Beyond this many files beside a file, includers on disk are not searched (a folder of generated files, say). */
const MAX_SIBLINGS = 32;

/** Bounds of the cache of assemblies: programs, and characters of source they were made from (an assembly takes tens of bytes per source character). */
const MAX_CACHED_PROGRAMS = 48;
const MAX_CACHED_SOURCE_CHARS = 4 * 1024 * 1024;

interface CachedAssembly {
  result: AssembleResult;
  /** Every file the assembly asked for, with its version then (`disk:N` for a file read from disk in disk generation N). */
  inputs: Map<string, string>;
  sourceChars: number;
}

export class Project {
  private readonly cache = new Map<string, CachedAssembly>();
  /** Bumped when files on disk may have changed. */
  private diskGeneration = 0;
  private assemblies = 0;

  constructor(private readonly host: ProjectHost) {}

  /** How many times a program was assembled (not found in the cache). */
  get assemblyCount(): number {
    return this.assemblies;
  }

  /** Files on disk may have changed: results that read one are no longer trusted. Edits of open documents need no call. */
  invalidate(): void {
    this.diskGeneration++;
  }

  /** Drops cached assemblies whose inputs changed since, so old versions are not kept alive. */
  prune(): void {
    for (const [key, entry] of [...this.cache]) if (!this.isCurrent(entry)) this.cache.delete(key);
  }

  /** The program `file` is part of. */
  analysisFor(file: string): Analysis {
    const open = this.host.openFiles().filter((other) => !isSameFile(other, file));
    const openIncluder = this.largestIncluder(open, file);
    if (openIncluder) return openIncluder;
    const own = this.assembleFrom(file);
    if (own.diagnostics.length > 0 && this.host.listFolder && path.isAbsolute(file)) {
      // An included file alone usually fails (no `_start`, names from its
      // includer), so a file beside it that includes it gives the real picture.
      // Documents not on disk (`untitled:`) have no folder to look in.
      const siblings = this.host.listFolder(path.dirname(file)).filter((other) => !isSameFile(other, file));
      const diskIncluder = siblings.length <= MAX_SIBLINGS ? this.largestIncluder(siblings, file) : undefined;
      if (diskIncluder) return diskIncluder;
    }
    return { root: file, result: own };
  }

  /**
   * What to publish: every open file with the diagnostics of its program, and
   * the other files of programs whose root is open (an error in an included
   * file that is not open still shows in the Problems view).
   */
  diagnosticsToPublish(): Map<string, Diagnostic[]> {
    const open = this.host.openFiles();
    const byFile = new Map<string, Diagnostic[]>();
    const has = (file: string): boolean => [...byFile.keys()].some((known) => isSameFile(known, file));
    const analyses = open.map((file) => ({ file, analysis: this.analysisFor(file) }));
    for (const { file, analysis } of analyses) if (!has(file)) byFile.set(file, diagnosticsForFile(analysis.result, file));
    for (const { analysis } of analyses) {
      if (!open.some((file) => isSameFile(file, analysis.root))) continue;
      for (const file of analysis.result.files) if (!has(file)) byFile.set(file, diagnosticsForFile(analysis.result, file));
    }
    return byFile;
  }

  private versionOf(file: string): string {
    const version = this.host.versionOf?.(file);
    return version === undefined ? `disk:${this.diskGeneration}` : `open:${version}`;
  }

  private isCurrent(entry: CachedAssembly): boolean {
    for (const [file, version] of entry.inputs) if (this.versionOf(file) !== version) return false;
    return true;
  }

  private assembleFrom(root: string): AssembleResult {
    const key = path.normalize(root);
    const cached = this.cache.get(key);
    if (cached && this.isCurrent(cached)) {
      // Most recently used last, so eviction takes the oldest.
      this.cache.delete(key);
      this.cache.set(key, cached);
      return cached.result;
    }
    this.cache.delete(key);
    const inputs = new Map<string, string>();
    let sourceChars = 0;
    const result = assemble(root, {
      readFile: (file) => {
        inputs.set(file, this.versionOf(file));
        const text = this.host.readFile(file);
        sourceChars += text?.length ?? 0;
        return text;
      },
      includePaths: nodeIncludePaths,
    });
    this.assemblies++;
    this.cache.set(key, { result, inputs, sourceChars });
    this.evict();
    return result;
  }

  /**
   * Keeps the cache within its bounds, oldest first. The newest entries, one
   * more than there are open files, always stay, however big: a diagnosis
   * looks at every open file's program, and must not drop one to make the next.
   */
  private evict(): void {
    const kept = this.host.openFiles().length + 1;
    let total = 0;
    for (const entry of this.cache.values()) total += entry.sourceChars;
    for (const [key, entry] of this.cache) {
      if (this.cache.size <= kept || (this.cache.size <= MAX_CACHED_PROGRAMS && total <= MAX_CACHED_SOURCE_CHARS)) break;
      this.cache.delete(key);
      total -= entry.sourceChars;
    }
  }

  /** Of the candidates that include `file`, the one whose program has the most files (the top of the include tree). */
  private largestIncluder(candidates: readonly string[], file: string): Analysis | undefined {
    let best: Analysis | undefined;
    for (const candidate of candidates) {
      const result = this.assembleFrom(candidate);
      if (!result.files.slice(1).some((included) => isSameFile(included, file))) continue;
      if (!best || result.files.length > best.result.files.length) best = { root: candidate, result };
    }
    return best;
  }
}
