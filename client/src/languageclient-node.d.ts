// tsconfig uses `moduleResolution: node`, which ignores package.json `exports`;
// vscode-languageclient 11 publishes its Node entry only there. esbuild resolves
// the real subpath; this maps the types to the same file.
declare module 'vscode-languageclient/node' {
  export * from 'vscode-languageclient/lib/node/main';
}
