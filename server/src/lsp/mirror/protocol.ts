/**
 * The mirroring part of the client protocol (client/src/protocol.ts, which is
 * vscode-free: only its types are imported here, so the server bundle never
 * depends on the client's module) plus the command ids of this plug-in.
 */
import type {
  CheckCredentialsParams,
  CheckCredentialsResult,
  InitializationOptions,
  LspRange,
  MirrorImageResult,
  MirrorParams,
  MirrorResult,
} from '../../../../client/src/protocol';

export type { CheckCredentialsParams, CheckCredentialsResult, InitializationOptions, LspRange, MirrorImageResult, MirrorParams, MirrorResult };

/** Client -> server request: copy images into the target (trusted workspaces only). */
export const MIRROR_REQUEST = 'arMigrate/mirror';
/** Client -> server request: which credential would be used for the target, and may it push there? */
export const CHECK_CREDENTIALS_REQUEST = 'arMigrate/checkCredentials';

/**
 * The quick fix's command. The VS Code client registers it itself (it calls
 * arMigrate/mirror + arMigrate/rewriteEdits), so the server only advertises it
 * to other editors; the server executes it for any client that sends it.
 */
export const MIRROR_AND_REWRITE_COMMAND = 'arMigrate.mirrorAndRewrite';
/** Server-side command: mirror every third-party image of one file, then rewrite them. */
export const MIRROR_FILE_COMMAND = 'arMigrate.server.mirrorFile';
/** Client-side commands of the VS Code extension. */
export const CONFIGURE_TARGET_COMMAND = 'arMigrate.configureTarget';

/** Code action kind of "Mirror all third-party images in this file" when requested as a source action. */
export const MIRROR_ALL_KIND = 'source.arMigrate.mirrorAll';

export const MIRROR_AND_REWRITE_TITLE = 'Mirror to Artifact Registry and rewrite';
export const MIRROR_FILE_TITLE = 'Mirror all third-party images in this file';

/** Argument of arMigrate.mirrorAndRewrite (the client reads `image`; the rest is for the server). */
export interface MirrorAndRewriteArgs {
  uri: string;
  range: LspRange;
  /** Normalised source reference (docker.io/library/nginx:1.27). */
  image: string;
  normalized?: string;
  /** Full target reference computed when the action was listed (informational; recomputed on execution). */
  target?: string;
}

/** Argument of arMigrate.server.mirrorFile. */
export interface MirrorFileArgs {
  uri: string;
}

/** What the executeCommand handlers answer (also useful to tests and other editors' scripts). */
export interface MirrorCommandResult {
  results: MirrorImageResult[];
  cancelled: boolean;
  /** References rewritten by the workspace/applyEdit the server sent (0 when nothing was edited). */
  rewritten: number;
  /** Why nothing (or not everything) was rewritten. */
  message?: string;
}
