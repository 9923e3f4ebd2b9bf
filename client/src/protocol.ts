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

// ===========================================================================
// Runbook requests (server/src/lsp/runbook/**, client/src/runbook.ts; docs/runbook-editor.md).
// Every one needs a trusted workspace: an untrusted one is refused with
// ResponseError InvalidRequest (-32600) and a message saying so. Long ones take
// a workDoneToken ($/progress) and honour $/cancelRequest.

/** Severity of an access-check finding. */
export type RunbookSeverity = 'ok' | 'info' | 'warning' | 'error';

// arMigrate/checkAccess: the target repository exists and is Docker, you may push,
// the runtime identities may pull; each problem with the gcloud command that fixes it.
export const CheckAccessRequest = 'arMigrate/checkAccess';
export interface CheckAccessParams {
  /** Target base; the configured `arMigrate.target` when absent. */
  target?: string;
  /** Principals that pull (serviceAccount:…, user:…, group:… or an email). */
  members?: string[];
  /** Projects whose GKE nodes pull (Compute Engine default SA unless nodeServiceAccount). Default: the target project. */
  gkeProjects?: string[];
  nodeServiceAccount?: string;
  /** Projects whose Cloud Run services pull. */
  cloudRunProjects?: string[];
  /** Create the repository when missing. */
  create?: boolean;
  workDoneToken?: ProgressToken;
}
export interface CheckAccessFinding {
  /** repository, create, push, pull, identity, api, ... */
  id: string;
  severity: RunbookSeverity;
  message: string;
  /** Exact command that fixes it (gcloud ...). */
  fix?: string;
  member?: string;
}
export interface CheckAccessResult {
  target: { base: string; project: string; location: string; repository: string };
  /** True when no finding is an error. */
  ok: boolean;
  findings: CheckAccessFinding[];
  identities: { member: string; description: string }[];
  /** The fix commands of the problems, in order (for "copy all"). */
  fixes: string[];
}

// arMigrate/setupLogging: routes kubelet "Pulling" events of each project into a BigQuery dataset.
export const SetupLoggingRequest = 'arMigrate/setupLogging';
export interface SetupLoggingParams {
  /** Project ids (a comma-separated string is accepted too). */
  projects: string[] | string;
  /** DEST_PROJECT.DATASET */
  dataset: string;
  /** Location of a new dataset (default US). */
  location?: string;
  /** Sink name (default image_pull_logs). */
  sink?: string;
  workDoneToken?: ProgressToken;
}
export interface SetupLoggingResult {
  dataset: string;
  datasetCreated: boolean;
  datasetLocation?: string;
  locationNote?: string;
  sinks: { project: string; sink: string; action: 'created' | 'updated' | 'unchanged'; changed?: string[]; writerIdentity?: string; grantAdded: boolean; partitioned: boolean }[];
  /** False when nothing had to change. */
  changed: boolean;
  /** Settings to use for pull counts: setting id (arMigrate.pullCounts.…) -> value. */
  settings: Record<string, string | boolean>;
  /** The `ar-migrate pulls` command for the same source. */
  cli: string;
  /** Human-readable summary (the CLI's output). */
  text: string;
}

// arMigrate/kubeContexts: `kubectl config get-contexts -o name`, run by the server.
export const KubeContextsRequest = 'arMigrate/kubeContexts';
export interface KubeContextsParams {
  kubeconfig?: string;
}
export interface KubeContextsResult {
  contexts: string[];
  current?: string;
}

// arMigrate/clusterScan: images running in a cluster (kubectl get pods), compared with the workspace.
export const ClusterScanRequest = 'arMigrate/clusterScan';
export interface ClusterScanParams {
  /** kubeconfig context (default: the current one). */
  context?: string;
  namespace?: string;
  kubeconfig?: string;
  workDoneToken?: ProgressToken;
}
export interface ClusterImage {
  /** As written in the pod spec. */
  image: string;
  normalized?: string;
  /** registry/repository */
  name?: string;
  error?: string;
  thirdParty: boolean;
  namespaces: string[];
  pods: number;
  containers: number;
  digests: string[];
  /** 'same': referenced in the workspace; 'other-tag': other tags of it only; 'none'. */
  inWorkspace: 'same' | 'other-tag' | 'none';
  workspaceVersions?: string[];
}
export interface ClusterScanResult {
  context?: string;
  pods: number;
  images: ClusterImage[];
  /** Running but not referenced in the workspace (same tag/digest). */
  onlyInCluster: ClusterImage[];
  /** The third-party ones among onlyInCluster: candidates to mirror. */
  onlyInClusterThirdParty: ClusterImage[];
}

// arMigrate/imagesTxt: the hand-off list (one normalised third-party reference a line).
export const ImagesTxtRequest = 'arMigrate/imagesTxt';
export interface ImagesTxtParams {
  folders?: string[];
  /** Keep build outputs (FROM of a local stage etc.). Default false. */
  includeNotPulled?: boolean;
  workDoneToken?: ProgressToken;
}
export interface ImagesTxtResult {
  /** The file's text ('' when there is nothing to mirror). */
  text: string;
  images: string[];
  /** References left out (variables, invalid), with where and why. */
  skipped: { uri: string; line: number; text: string; reason: string }[];
}

// arMigrate/drift: mirrored (Artifact Registry) references vs their upstream tags. Results are cached
// by the server: hovers show them, drifted references get a "Re-mirror from upstream" quick fix.
export const DriftRequest = 'arMigrate/drift';
export type DriftStatus = 'in-sync' | 'drifted' | 'upstream-missing' | 'mirror-missing' | 'error' | 'unchecked';
export interface DriftParams {
  folders?: string[];
  workDoneToken?: ProgressToken;
}
export interface DriftEntryResult {
  /** The mirrored reference, normalised. */
  mirror: string;
  /** Where it was mirrored from ('' when unknown). */
  upstream: string;
  status: DriftStatus;
  upstreamDigest?: string;
  mirrorDigest?: string;
  pinnedDigest?: string;
  reason?: string;
  references: { uri: string; range: LspRange; text: string }[];
}
export interface DriftResult {
  checkedAt: string;
  targets: string[];
  entries: DriftEntryResult[];
  summary: Record<DriftStatus, number> & { references: number };
}

/** Server command (listed in executeCommandProvider): args [{ mirror, upstream }] -> RemirrorResult. */
export const RemirrorCommand = 'arMigrate.server.remirror';
export interface RemirrorArgs {
  mirror: string;
  upstream: string;
}
export interface RemirrorResult {
  ok: boolean;
  cancelled?: boolean;
  digest?: string;
  /** Pinned references whose digest was updated. */
  repinned: number;
  message: string;
}

/** What enrichReport adds to arMigrate/report images (ReportImage & ReportDrift) when drift was checked. */
export interface ReportDrift {
  drift?: { mirror: string; upstream: string; status: DriftStatus; checkedAt: string }[];
}

export const RunbookCommands = {
  checkAccess: 'arMigrate.checkAccess',
  setupLogging: 'arMigrate.setupLogging',
  scanCluster: 'arMigrate.scanCluster',
  exportImagesTxt: 'arMigrate.exportImagesTxt',
  checkDrift: 'arMigrate.checkDrift',
} as const;
