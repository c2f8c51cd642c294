// Text from files and guests (source lines in diagnostics, file names, guest
// names) reaches the terminal through stderr. Control characters there could
// move the cursor, recolour or clear the screen, and bidirectional overrides
// could make a message read differently from what it says, so they are shown
// as escapes. Only diagnostics are escaped: stdout carries the guest's own
// console bytes unchanged.

/** C0 controls but tab and newline, DEL, C1 controls, and the bidi embeddings, overrides, isolates and marks. */
// eslint-disable-next-line no-control-regex -- control characters are what it finds
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function escapeForTerminal(text: string): string {
  return text.replace(UNSAFE, (ch) => {
    const code = ch.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
