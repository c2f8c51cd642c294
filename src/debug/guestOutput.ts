// The guests' console output on its way to the debug console: bytes are
// collected as the guests write them and sent as one output event per guest
// at each flush, prefixed with the guest's name when there are several. It
// remembers what it printed, so bytes written again by a replay after a step
// back are not printed twice; it knows nothing of run control or DAP.

import type { RuntimeEvent } from './runtime';

export class GuestOutput {
  private printed: number[];
  private pendingOutput: number[][];
  private lineStart: boolean[];

  constructor(
    private readonly guestNames: readonly string[],
    private readonly emit: (event: RuntimeEvent) => void,
  ) {
    this.printed = guestNames.map(() => 0);
    this.pendingOutput = guestNames.map(() => []);
    this.lineStart = guestNames.map(() => true);
  }

  /** A byte guest g wrote to its console, which now holds `length` bytes. */
  onByte(g: number, byte: number, length: number): void {
    // After a step back the same bytes come again; each is printed once.
    if (length <= this.printed[g]) return;
    this.printed[g] = length;
    this.pendingOutput[g].push(byte);
  }

  flush(): void {
    for (let g = 0; g < this.pendingOutput.length; g++) {
      const bytes = this.pendingOutput[g];
      if (bytes.length === 0) continue;
      let text = Buffer.from(bytes).toString('latin1');
      bytes.length = 0;
      if (this.guestNames.length > 1) {
        // Several guests share the console line by line, as the CLI prints them.
        const name = this.guestNames[g];
        let out = '';
        for (const ch of text) {
          if (this.lineStart[g]) out += `[${name}] `;
          out += ch;
          this.lineStart[g] = ch === '\n';
        }
        text = out;
      }
      this.emit({ kind: 'output', category: 'stdout', text });
    }
  }
}
