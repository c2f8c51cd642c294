// vscode-languageclient (v11) publishes its types only through package.json
// "exports", which this project's `moduleResolution: node` does not read; map
// the entry point the extension uses to its declaration file (as src/lsp does
// for the server packages). esbuild resolves the real module through "exports".
declare module 'vscode-languageclient/node' {
  export * from 'vscode-languageclient/lib/node/main';
}
declare module 'vscode-languageclient' {
  export * from 'vscode-languageclient/lib/common/api';
}
declare module 'vscode-languageclient/browser' {
  export * from 'vscode-languageclient/lib/browser/main';
}
