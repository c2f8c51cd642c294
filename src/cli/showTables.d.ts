import { VirtualSystem } from '../hypervisor/system';
export declare const SHOW_TABLES: readonly ["guest", "map", "shadows", "tlb"];
export type ShowTable = (typeof SHOW_TABLES)[number];
/** Events `--at` can name: the debugger's exception filter ids that a run reports. */
export declare const AT_EVENTS: readonly ["protection-fault", "privileged-emulated", "io-emulated", "syscall", "reflected", "guest-page-fault", "hidden-page-fault", "shadow-dropped", "cr3-load", "tlb-flush", "sensitive", "hypercall", "bt-translate", "hw-exit"];
export type ShowPoint = {
    kind: 'tick';
    tick: number;
} | {
    kind: 'event';
    event: string;
    nth: number;
} | {
    kind: 'end';
};
export declare function parseShow(text: string): ShowTable[];
export declare function parseAt(text: string): ShowPoint;
/**
 * Runs `system` to the point; returns what happened there (a sentence) and
 * whether the point was reached before the run ended.
 */
export declare function runToPoint(system: VirtualSystem, point: ShowPoint): {
    isReached: boolean;
    what: string;
    stop: string;
};
/** The chosen tables of every guest (the TLB, which they share, once at the end). */
export declare function formatAllTables(system: VirtualSystem, tables: readonly ShowTable[]): string;
/** The chosen tables of guest g as text, one section per table. */
export declare function formatTables(system: VirtualSystem, g: number, tables: readonly ShowTable[]): string;
//# sourceMappingURL=showTables.d.ts.map