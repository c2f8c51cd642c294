// Guest sources straight from the disk, for the adapter run by Node
// (`hyperstep-dap`, tests, benchmarks). The extension's readers prefer open
// editors (adapterFactory.ts) or read through `workspace.fs` in the browser.

import { readSourceFile } from '../loader/sourceFile';
import type { FileReader } from './runtime';

export const nodeFileReader: FileReader = { readSourceFile: (file) => readSourceFile(file) };
