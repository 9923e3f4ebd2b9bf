// The tsconfig uses classic `node` module resolution, which ignores package.json
// "exports"; these packages expose their Node entry points only through
// "exports" (`./node`). Map the subpaths to their typings for the type checker;
// esbuild and Node resolve them through "exports" at build/run time.
declare module 'vscode-languageserver/node' {
  export * from 'vscode-languageserver/lib/node/main';
}
declare module 'vscode-languageserver-protocol/node' {
  export * from 'vscode-languageserver-protocol/lib/node/main';
}
declare module 'vscode-jsonrpc/node' {
  export * from 'vscode-jsonrpc/lib/node/main';
}
