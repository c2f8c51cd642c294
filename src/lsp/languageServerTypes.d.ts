// The vscode-languageserver packages (v11) publish their types only through
// package.json "exports", which tsconfig's `moduleResolution: node` does not
// read; Node itself resolves the same names at run time. These declarations
// point the compiler at the files the exports name, so the server keeps full
// types. TODO: delete this file once tsconfig moves to `node16` resolution
// (not done here: tsconfig.json belongs to the whole project).

declare module 'vscode-languageserver' {
  export * from 'vscode-languageserver/lib/common/api';
}
declare module 'vscode-languageserver/node' {
  export * from 'vscode-languageserver/lib/node/main';
}
declare module 'vscode-languageserver-protocol' {
  export * from 'vscode-languageserver-protocol/lib/common/api';
}
declare module 'vscode-languageserver-protocol/node' {
  export * from 'vscode-languageserver-protocol/lib/node/main';
}
declare module 'vscode-jsonrpc' {
  export * from 'vscode-jsonrpc/lib/common/api';
}
declare module 'vscode-jsonrpc/node' {
  export * from 'vscode-jsonrpc/lib/node/main';
}
declare module 'vscode-languageserver/browser' {
  export * from 'vscode-languageserver/lib/browser/main';
}
declare module 'vscode-languageserver-protocol/browser' {
  export * from 'vscode-languageserver-protocol/lib/browser/main';
}
declare module 'vscode-jsonrpc/browser' {
  export * from 'vscode-jsonrpc/lib/browser/main';
}
