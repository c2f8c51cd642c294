import { LabReport, measureLab } from '../labs/checkLab';
export interface CheckOptions {
    folder: string;
    file?: string;
    answers?: string;
    isMeasurements?: boolean;
}
export interface CheckIo {
    stdout(text: string): void;
    stderr(text: string): void;
    readFile(file: string): string | undefined;
}
/** Exit status of `check` when a check fails. */
export declare const CHECK_FAILED = 1;
export declare function formatReport(report: LabReport): string;
/** What a lab's reference guest measures in each run: every non-zero number, named as `--stats` names it. */
export declare function formatMeasurements(result: ReturnType<typeof measureLab>): string;
export declare function checkCommand(options: CheckOptions, io: CheckIo): number;
//# sourceMappingURL=check.d.ts.map