export declare function escapeForTerminal(text: string): string;
//# sourceMappingURL=terminalText.d.ts.map