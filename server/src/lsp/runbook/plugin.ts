/**
 * The runbook plug-in of the language server (docs/runbook-editor.md): the
 * CLI's check / setup-logging / cluster-scan / images.txt / drift steps as
 * requests for the editor, drift in hovers, and the "Re-mirror from
 * upstream" quick fix. Everything that touches the network or runs kubectl
 * is refused in an untrusted workspace.
 */
import { CancellationToken, ErrorCodes, LSPErrorCodes, ResponseError } from 'vscode-languageserver/node';
import { redactLog } from '../../redact';
import type { ServerContext, ServerPlugin } from '../context';
import { serverOptions } from '../mirror/engine';
import { handleClusterScan, handleImagesTxt, handleKubeContexts } from './cluster';
import { DriftCache, driftCodeActions, driftHover, enrichReportWithDrift, handleDrift, remirror } from './drift';
import { handleCheckAccess, handleSetupLogging } from './gcp';
import {
  CHECK_ACCESS_REQUEST,
  CLUSTER_SCAN_REQUEST,
  DRIFT_REQUEST,
  IMAGES_TXT_REQUEST,
  KUBE_CONTEXTS_REQUEST,
  REMIRROR_COMMAND,
  SETUP_LOGGING_REQUEST,
} from './protocol';

export function createRunbookPlugin(): ServerPlugin {
  let ctx: ServerContext | undefined;
  const cache = new DriftCache();
  return {
    name: 'runbook',
    commands: [REMIRROR_COMMAND],

    capabilities(caps) {
      const provider = (caps.executeCommandProvider ??= { commands: [] });
      if (!provider.commands.includes(REMIRROR_COMMAND)) provider.commands.push(REMIRROR_COMMAND);
    },

    activate(c) {
      ctx = c;
      const handle = <P, R>(method: string, fn: (params: P, token: CancellationToken) => Promise<R>) =>
        c.connection.onRequest(method, async (params: P, token: CancellationToken) => {
          try {
            return await fn(params, token);
          } catch (err) {
            if (err instanceof ResponseError) {
              if (err.code !== LSPErrorCodes.RequestCancelled) c.log.warn(`${method}: ${err.message}`);
              throw err;
            }
            c.log.error(`${method} failed: ${(err as Error)?.stack ?? err}`);
            throw new ResponseError(ErrorCodes.InternalError, redactLog(`${method} failed: ${(err as Error)?.message ?? err}`));
          }
        });
      handle(CHECK_ACCESS_REQUEST, (p: any, t) => handleCheckAccess(c, p, t));
      handle(SETUP_LOGGING_REQUEST, (p: any, t) => handleSetupLogging(c, p, t));
      handle(KUBE_CONTEXTS_REQUEST, (p: any, t) => handleKubeContexts(c, p, t));
      handle(CLUSTER_SCAN_REQUEST, (p: any, t) => handleClusterScan(c, p, t));
      handle(IMAGES_TXT_REQUEST, (p: any, t) => handleImagesTxt(c, p, t));
      handle(DRIFT_REQUEST, (p: any, t) => handleDrift(c, cache, p, t));
    },

    hover(input) {
      return ctx ? driftHover(cache, input, serverOptions(ctx).trusted) : undefined;
    },

    codeActions(input) {
      return ctx ? driftCodeActions(cache, input, serverOptions(ctx).trusted) : undefined;
    },

    executeCommand(params, token, c) {
      return remirror(c, cache, params.arguments?.[0], token);
    },

    enrichReport(report) {
      enrichReportWithDrift(cache, report);
    },
  };
}

export const runbookPlugin: ServerPlugin = createRunbookPlugin();
