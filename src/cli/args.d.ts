import { TimedInput } from '../machine/devices/keyboard';
export declare const EXIT: {
    readonly halted: 0;
    readonly assemblyError: 1;
    readonly tripleFault: 2;
    readonly busError: 3;
    readonly instructionLimit: 4;
    readonly exceptionLoop: 5;
    /** `--compare` found a divergence from bare hardware. */
    readonly divergence: 6;
    /** `--show --at EVENT`: the run ended before the event happened (the tables show the end). */
    readonly showPointNotReached: 7;
    readonly usage: 64;
};
export declare class UsageError extends Error {
}
import { Virtualization } from '../hypervisor/system';
import { KernelShadows, PagingSetting } from '../hypervisor/shadow/shadowPaging';
import { ShowPoint, ShowTable } from './showTables';
export interface RunOptions {
    file: string;
    inputs: TimedInput[];
    memory?: number;
    tlbEntries?: number;
    maxInstructions?: number;
    /** Undefined when not given: a machine description's own setting, else 'none'. */
    virtualization?: Virtualization;
    paging?: PagingSetting;
    kernelShadows?: KernelShadows;
    isStats: boolean;
    traceFile?: string;
    /** Run under bare hardware and the chosen setting in lockstep and report the first divergence. */
    isCompare: boolean;
    /** `--cost-model`: a profile name (first-gen, modern) or a JSON file of costs. */
    costModelFile?: string;
    /** Tables to print instead of the console (`--show`), and when (`--at`; default the end of the run). */
    show?: {
        tables: ShowTable[];
        point: ShowPoint;
    };
}
export interface AsmOptions {
    file: string;
    isListing: boolean;
}
export interface CheckArgs {
    folder: string;
    file?: string;
    answers?: string;
    isMeasurements: boolean;
}
export type Invocation = {
    command: 'run';
    options: RunOptions;
} | {
    command: 'asm';
    options: AsmOptions;
} | {
    command: 'check';
    options: CheckArgs;
} | {
    command: 'exit';
    status: number;
};
/** Parses argv (without node and script); writes help and errors to the given streams. */
export declare function parseArgs(argv: string[], out: (s: string) => void, err: (s: string) => void): Invocation;
//# sourceMappingURL=args.d.ts.map