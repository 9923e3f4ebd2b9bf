// Placeholder: the VS Code client lands here.
export function activate(): void {}
export function deactivate(): void {}
