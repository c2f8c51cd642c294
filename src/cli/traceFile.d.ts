export interface TraceSink {
    /** One line of JSON text, newline included. */
    write(line: string): void;
    /** Writes what is buffered and closes; returns the first write error, if any. */
    close(): string | undefined;
}
export declare class TraceFileError extends Error {
}
export declare function openTraceFile(file: string): TraceSink;
//# sourceMappingURL=traceFile.d.ts.map