// GuestOutput: each byte a guest writes is printed once, even when a replay
// after step back writes it again; several guests share the console line by
// line, each line prefixed with the guest's name.

import * as assert from 'assert';
import { GuestOutput } from '../../../src/debug/guestOutput';
import { Recorder } from './harness';

function write(output: GuestOutput, g: number, text: string, printedBefore: number): void {
  for (let i = 0; i < text.length; i++) output.onByte(g, text.charCodeAt(i), printedBefore + i + 1);
}

describe('debug parts: GuestOutput', () => {
  it('prints each byte once, even when a replay writes it again', () => {
    const recorder = new Recorder();
    const output = new GuestOutput(['solo'], recorder.emit);
    write(output, 0, 'tick 1\n', 0);
    output.flush();
    write(output, 0, 'tick 1\n', 0);
    write(output, 0, 'tick 2\n', 7);
    output.flush();
    output.flush();
    assert.strictEqual(recorder.text('stdout'), 'tick 1\ntick 2\n');
    assert.strictEqual(recorder.events.length, 2);
  });

  it('prefixes each line with the guest name when there are several guests', () => {
    const recorder = new Recorder();
    const output = new GuestOutput(['a', 'b'], recorder.emit);
    write(output, 0, 'one\ntw', 0);
    write(output, 1, 'x\n', 0);
    output.flush();
    write(output, 0, 'o\n', 6);
    output.flush();
    assert.strictEqual(recorder.text('stdout'), '[a] one\n[a] tw[b] x\no\n');
  });
});
