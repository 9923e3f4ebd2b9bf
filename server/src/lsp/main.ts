// Language server entry (stdio or IPC). Replaced by the LSP module's owner.
import './server';
