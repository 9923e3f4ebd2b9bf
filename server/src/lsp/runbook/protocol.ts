/**
 * The runbook part of the client protocol (client/src/protocol.ts, runbook
 * section): only its types are imported, so the server bundle never depends
 * on the client's module; the method and command names are repeated here.
 */
export type {
  CheckAccessParams,
  CheckAccessResult,
  ClusterImage,
  ClusterScanParams,
  ClusterScanResult,
  DriftEntryResult,
  DriftParams,
  DriftResult,
  ImagesTxtParams,
  ImagesTxtResult,
  KubeContextsParams,
  KubeContextsResult,
  RemirrorArgs,
  RemirrorResult,
  SetupLoggingParams,
  SetupLoggingResult,
} from '../../../../client/src/protocol';

export const CHECK_ACCESS_REQUEST = 'arMigrate/checkAccess';
export const SETUP_LOGGING_REQUEST = 'arMigrate/setupLogging';
export const KUBE_CONTEXTS_REQUEST = 'arMigrate/kubeContexts';
export const CLUSTER_SCAN_REQUEST = 'arMigrate/clusterScan';
export const IMAGES_TXT_REQUEST = 'arMigrate/imagesTxt';
export const DRIFT_REQUEST = 'arMigrate/drift';
/** Server-side command behind the "Re-mirror from upstream" quick fix. */
export const REMIRROR_COMMAND = 'arMigrate.server.remirror';
/** Client command that runs arMigrate/drift (named in hovers). */
export const CHECK_DRIFT_CLIENT_COMMAND = 'arMigrate.checkDrift';

export const REMIRROR_TITLE = 'Re-mirror from upstream';
