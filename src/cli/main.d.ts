import { StopReason } from '../machine/cpu';
import type { SourceRead } from '../asm';
import { AsmOptions, RunOptions } from './args';
import { TraceSink } from './traceFile';
export interface CliIo {
    stdout(data: string | Uint8Array): void;
    stderr(text: string): void;
    readFile(file: string): string | undefined;
    /** Like readFile, with the reason a file is refused (see loader/sourceFile.ts). */
    readSourceFile(file: string): SourceRead;
    writeFile(file: string, text: string): void;
    /** Opens FILE for streaming `--trace` lines; throws with a message when it cannot be created. */
    openTrace(file: string): TraceSink;
}
export declare const nodeIo: CliIo;
export declare const EXIT_BY_STOP: Partial<Record<StopReason, number>>;
export declare function runCommand(options: RunOptions, io: CliIo): number;
export declare function asmCommand(options: AsmOptions, io: CliIo): number;
export declare function main(argv: string[], rawIo?: CliIo): number;
//# sourceMappingURL=main.d.ts.map