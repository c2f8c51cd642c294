// TextEncoder and TextDecoder are globals of every host the assembler runs in
// (Node, browsers, web workers) but not of ECMAScript, and this layer compiles
// against ES2022 alone (tsconfig.json): declare the part it uses.

declare class TextEncoder {
  encode(input?: string): Uint8Array;
}

declare class TextDecoder {
  decode(input?: Uint8Array): string;
}
