/**
 * Plug-ins of the language server (see context.ts ServerPlugin). Feature
 * owners add their module here, e.g. `import { pullCountsPlugin } from '../pulls/lsp'`.
 */
import type { ServerPlugin } from './context';
import { mirrorPlugin } from './mirror/plugin';
import { pullCountsPlugin } from '../pulls/lsp';
import { runbookPlugin } from './runbook/plugin';

export const PLUGINS: ServerPlugin[] = [pullCountsPlugin(), mirrorPlugin, runbookPlugin];
