/**
 * The ar-migrate client <-> server protocol on top of LSP: custom requests and
 * notifications the VS Code client uses. Plain data only (no `vscode` import),
 * so the server may import these shapes too. Ranges are LSP ranges (0-based,
 * UTF-16); URIs are strings (`file:///...`).
 *
 * Long-running requests accept a `workDoneToken` (LSP work-done progress): the
 * server reports with `$/progress` (`begin` / `report` / `end`) on that token,
 * and honours `$/cancelRequest` for the request itself.
 */

export interface LspPosition {
  line: number;
  character: number;
}
export interface LspRange {
  start: LspPosition;
  end: LspPosition;
}
export type ProgressToken = string | number;

/** What the client passes in `initialize.initializationOptions`. */
export interface InitializationOptions {
  /** Workspace trust. When false the server only analyses text: diagnostics and hovers; it copies nothing,
   *  runs no binaries (credential helpers, gcloud), reads no files named by workspace settings, queries nothing. */
  trusted: boolean;
  /** `arMigrate.insecureRegistries` (machine scope: never taken from workspace settings). */
  insecureRegistries: string[];
  /** Folder the server may use for caches (pull counts, manifests). */
  storagePath?: string;
  /** e.g. `vscode 1.100.3`, for the registry User-Agent and logs. */
  client?: string;
  extensionVersion?: string;
}

/** Diagnostic codes the server publishes (source `ar-migrate`). */
export const DIAGNOSTIC_SOURCE = 'ar-migrate';
export const DiagnosticCodes = {
  thirdPartyImage: 'third-party-image',
  invalidImageReference: 'invalid-image-reference',
} as const;

// ---------------------------------------------------------------------------
// arMigrate/scanWorkspace  (client -> server request)

export const ScanWorkspaceRequest = 'arMigrate/scanWorkspace';
export interface ScanWorkspaceParams {
  /** Workspace folder URIs to scan; all folders when absent. */
  folders?: string[];
  /** Include ignored and first-party references (default false: third-party, not ignored only). */
  includeAll?: boolean;
  /** Attach pull counts (from the configured source, cached) to the findings. Default true. */
  withPulls?: boolean;
  workDoneToken?: ProgressToken;
}
export interface WorkspaceFinding {
  uri: string;
  range: LspRange;
  /** Characters as written. */
  text: string;
  /** Normalised full reference (docker.io/library/nginx:1.27); absent when invalid. */
  normalized?: string;
  /** Docker's short form (nginx:1.27). */
  familiar?: string;
  registry?: string;
  /** registry/repository, no tag or digest; the unit that gets mirrored. */
  repository?: string;
  kind: string;
  thirdParty: boolean;
  ignored: boolean;
  error?: string;
  /** Reference the rewrite would produce with the current target and path mapping (absent without a valid target). */
  rewriteTo?: string;
  /** Pulls in the configured window, when known. */
  pulls?: number;
}
export interface ScanWorkspaceResult {
  findings: WorkspaceFinding[];
  filesScanned: number;
  /** Files that could not be read or parsed, with the reason. */
  errors: { uri: string; line?: number; message: string }[];
  /** Current target base, or undefined when not set/invalid. */
  target?: string;
  targetError?: string;
  pullSource?: PullSourceInfo;
}

// ---------------------------------------------------------------------------
// arMigrate/mirror  (client -> server request; needs a trusted workspace)

export const MirrorRequest = 'arMigrate/mirror';
export interface MirrorParams {
  /** Source images as normalised references (with tag or digest). Copied one after another or with the configured concurrency. */
  images: string[];
  /** Target base; the configured `arMigrate.target` when absent. */
  target?: string;
  /** Copy every platform of a multi-arch image (default true). */
  allPlatforms?: boolean;
  /** `$/progress` reports: message like `nginx:1.27 - 3/7 blobs, 12.1 MB / 48.0 MB`, percentage over all images. */
  workDoneToken?: ProgressToken;
}
export interface MirrorImageResult {
  source: string;
  /** Full target reference (tag kept; digest when the source had one). */
  target: string;
  ok: boolean;
  /** Manifest digest at the target. */
  digest?: string;
  bytes?: number;
  blobs?: number;
  /** Blobs that already existed at the target. */
  skippedBlobs?: number;
  /** Clear reason (no credentials in it). */
  error?: string;
}
export interface MirrorResult {
  results: MirrorImageResult[];
  cancelled?: boolean;
}

// ---------------------------------------------------------------------------
// arMigrate/rewriteEdits  (client -> server request)

export const RewriteEditsRequest = 'arMigrate/rewriteEdits';
export interface RewriteEditsParams {
  /** Rewrite every (third-party, not ignored) reference to these images: normalised references as in WorkspaceFinding.normalized. */
  images: string[];
  /** Limit to these documents (URIs); the whole workspace when absent. */
  uris?: string[];
  target?: string;
  /** Pin to these digests (source image -> sha256:...) where the user asked for it. */
  digests?: Record<string, string>;
}
/** An LSP WorkspaceEdit (`changes` map: uri -> TextEdit[]). */
export interface RewriteEditsResult {
  edit: { changes: Record<string, { range: LspRange; newText: string }[]> };
  /** References that could not be rewritten, with the reason (file and line). */
  skipped: { uri: string; line: number; image: string; reason: string }[];
}

// ---------------------------------------------------------------------------
// arMigrate/refreshPullCounts  (client -> server request)

export const RefreshPullCountsRequest = 'arMigrate/refreshPullCounts';
export interface RefreshPullCountsParams {
  workDoneToken?: ProgressToken;
}
export interface PullSourceInfo {
  kind: 'bigquery' | 'logFile' | 'none';
  description: string;
  fetchedAt?: string;
  bytesProcessed?: number;
  fromCache?: boolean;
  windowDays?: number;
}
export interface RefreshPullCountsResult {
  source: PullSourceInfo;
  /** Images with counts. */
  images: number;
  totalPulls: number;
  /** Set when the source could not be read; the message names the table/file. */
  error?: string;
}

// ---------------------------------------------------------------------------
// arMigrate/report  (client -> server request)

export const ReportRequest = 'arMigrate/report';
export interface ReportParams {
  workDoneToken?: ProgressToken;
}
export interface ReportImage {
  /** Normalised reference without tag (registry/repository). */
  repository: string;
  familiar: string;
  registry: string;
  /** Tags/digests referenced in the workspace. */
  versions: string[];
  references: number;
  files: string[];
  pulls?: number;
  /** Pulls per day over the window, oldest first (optional, for sparklines). */
  daily?: number[];
  thirdParty: boolean;
  ignored: boolean;
  rewriteTo?: string;
}
export interface ReportResult {
  generatedAt: string;
  target?: string;
  pullSource?: PullSourceInfo;
  images: ReportImage[];
  totals: { images: number; thirdParty: number; ignored: number; references: number; files: number; pulls?: number };
}

// ---------------------------------------------------------------------------
// arMigrate/checkCredentials  (client -> server request; trusted only)

export const CheckCredentialsRequest = 'arMigrate/checkCredentials';
export interface CheckCredentialsParams {
  target?: string;
}
export interface CheckCredentialsResult {
  ok: boolean;
  /** e.g. `Application Default Credentials (user alice@example.com)`; never a token. */
  identity?: string;
  message: string;
}

// ---------------------------------------------------------------------------
// arMigrate/findingsChanged  (server -> client notification)

/** Sent after diagnostics change (debounced): drives the status bar item. */
export const FindingsChangedNotification = 'arMigrate/findingsChanged';
export interface FindingsChangedParams {
  /** Third-party, not ignored references in open/scanned documents. */
  thirdParty: number;
  images: number;
  ignored: number;
  invalid: number;
  targetConfigured: boolean;
}

// ---------------------------------------------------------------------------
// Client-side commands that server code actions may reference (the server must NOT
// list these in executeCommandProvider: the client registers them).

export const ClientCommands = {
  /** args: [{ uri: string, range: LspRange, image: string }] — mirror with progress, then rewrite. */
  mirrorAndRewrite: 'arMigrate.mirrorAndRewrite',
  migrateWorkspace: 'arMigrate.migrateWorkspace',
  mirrorImage: 'arMigrate.mirrorImage',
  refreshPullCounts: 'arMigrate.refreshPullCounts',
  configureTarget: 'arMigrate.configureTarget',
  showReport: 'arMigrate.showReport',
  showLog: 'arMigrate.showLog',
  checkCredentials: 'arMigrate.checkCredentials',
  restartServer: 'arMigrate.restartServer',
} as const;
