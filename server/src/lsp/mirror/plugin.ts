/**
 * The mirroring plug-in of the language server (see docs/lsp-mirror.md):
 *   - code actions "Mirror to Artifact Registry and rewrite" / "Mirror all
 *     third-party images in this file" (actions.ts);
 *   - workspace/executeCommand arMigrate.mirrorAndRewrite and
 *     arMigrate.server.mirrorFile (commands.ts);
 *   - requests arMigrate/mirror and arMigrate/checkCredentials (requests.ts).
 * arMigrate/rewriteEdits is served by workspaceScan.ts.
 */
import { CancellationToken, ErrorCodes, ResponseError } from 'vscode-languageserver/node';
import { redactLog } from '../../redact';
import type { ServerContext, ServerPlugin } from '../context';
import { mirrorCodeActions } from './actions';
import { executeMirrorCommand } from './commands';
import { serverOptions } from './engine';
import { CHECK_CREDENTIALS_REQUEST, CheckCredentialsParams, MIRROR_ALL_KIND, MIRROR_AND_REWRITE_COMMAND, MIRROR_FILE_COMMAND, MIRROR_REQUEST, MirrorParams } from './protocol';
import { handleCheckCredentials, handleMirror } from './requests';

/** A mirror plug-in instance (one per server: it keeps the context activate() receives). */
export function createMirrorPlugin(): ServerPlugin {
  let ctx: ServerContext | undefined;
  return {
    name: 'mirror',
    commands: [MIRROR_AND_REWRITE_COMMAND, MIRROR_FILE_COMMAND],

    capabilities(caps, params) {
      const vscodeClient = serverOptions({ initializeParams: () => params }).vscodeClient;
      const provider = (caps.executeCommandProvider ??= { commands: [] });
      // The VS Code extension registers arMigrate.mirrorAndRewrite itself (listing it would make
      // vscode-languageclient register it a second time); other editors need it listed to run it.
      const mine = vscodeClient ? [MIRROR_FILE_COMMAND] : [MIRROR_AND_REWRITE_COMMAND, MIRROR_FILE_COMMAND];
      for (const c of mine) if (!provider.commands.includes(c)) provider.commands.push(c);
      const cap = caps.codeActionProvider;
      if (cap && typeof cap === 'object') {
        cap.codeActionKinds = [...(cap.codeActionKinds ?? []), MIRROR_ALL_KIND].filter((k, i, a) => a.indexOf(k) === i);
      } else {
        caps.codeActionProvider = { codeActionKinds: ['quickfix', MIRROR_ALL_KIND] };
      }
    },

    activate(c) {
      ctx = c;
      /** A request handler whose unexpected failures are logged with a stack; ResponseErrors carry a message for the user. */
      const handle = <P, R>(method: string, fn: (ctx: ServerContext, params: P, token: CancellationToken) => Promise<R>) =>
        c.connection.onRequest(method, async (params: P, token: CancellationToken) => {
          try {
            return await fn(c, params, token);
          } catch (err) {
            if (err instanceof ResponseError) throw err;
            c.log.error(`${method} failed: ${(err as Error)?.stack ?? err}`);
            throw new ResponseError(ErrorCodes.InternalError, redactLog(`${method} failed: ${(err as Error)?.message ?? err}`));
          }
        });
      handle<MirrorParams, unknown>(MIRROR_REQUEST, handleMirror);
      handle<CheckCredentialsParams, unknown>(CHECK_CREDENTIALS_REQUEST, handleCheckCredentials);
    },

    codeActions(input) {
      return ctx ? mirrorCodeActions(ctx, input) : undefined;
    },

    executeCommand(params, token, c) {
      return executeMirrorCommand(c, params, token, params.command === MIRROR_FILE_COMMAND ? 'file' : 'one');
    },
  };
}

export const mirrorPlugin: ServerPlugin = createMirrorPlugin();
