// Byte helpers the simulator needs without Node's Buffer: the simulator layers
// compile against ECMAScript alone, so they also run in a browser or worker.

/** Each byte as the character with that code (ISO-8859-1), as the console prints it. */
export function latin1Text(bytes: Uint8Array): string {
  let text = '';
  // Chunks: one String.fromCharCode call with a whole MiB of arguments would overflow the stack.
  for (let start = 0; start < bytes.length; start += 8192) {
    text += String.fromCharCode(...bytes.subarray(start, start + 8192));
  }
  return text;
}

type HostCompare = (a: Uint8Array, b: Uint8Array) => number;
// Node's Buffer.compare is memcmp, about 20 times faster than a JS loop over a
// MiB of guest memory, and the divergence finder compares memory every chunk.
const hostCompare = (globalThis as { Buffer?: { compare: HostCompare } }).Buffer?.compare;

/** Same length and the same bytes. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  if (hostCompare) return hostCompare(a, b) === 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
