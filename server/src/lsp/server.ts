// Placeholder: the language server wiring lands here.
export {};
