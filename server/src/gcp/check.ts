/**
 * `ar-migrate check` as a library: target repository exists and is Docker,
 * the caller can push, the runtime identities can pull. Each finding carries
 * the exact command that fixes it.
 */
import {
  ArtifactRegistry,
  createRepositoryCommand,
  ensureRepository,
  OperationProgress,
  Repository,
  TargetBase,
  UPLOAD_PERMISSION,
  DOWNLOAD_PERMISSION,
} from './artifactRegistry';
import { GcpApi } from './auth';
import { GcpError } from './errors';
import {
  addReaderBindingCommand,
  AccessEvaluation,
  cloudRunServiceAgent,
  computeDefaultServiceAccount,
  evaluateAccess,
  Iam,
  IamPolicy,
  normalizeMember,
  PolicyInput,
  ResourceManager,
} from './iam';

export type Severity = 'ok' | 'info' | 'warning' | 'error';

export interface CheckFinding {
  /** Stable id: repository, push, pull, api, ... */
  id: string;
  severity: Severity;
  message: string;
  /** Exact command that fixes it. */
  fix?: string;
  /** For pull findings: the principal. */
  member?: string;
}

export interface IdentityRequest {
  /** Principals to check as given (serviceAccount:..., user:..., or email). */
  members?: string[];
  /** Projects whose GKE nodes pull (their Compute Engine default SA, unless nodeServiceAccount is set). */
  gkeProjects?: string[];
  /** The node service account GKE uses, when not the Compute Engine default. */
  nodeServiceAccount?: string;
  /** Projects whose Cloud Run services pull (their Cloud Run service agent). */
  cloudRunProjects?: string[];
}

export interface CheckIdentity {
  member: string;
  /** Why it is checked: "named on the command line", "GKE node service account (Compute Engine default) of project p". */
  description: string;
  access?: AccessEvaluation;
}

export interface CheckOptions {
  target: TargetBase;
  identities?: IdentityRequest;
  /** Create the repository when missing. */
  create?: boolean;
  signal?: AbortSignal;
  /** Progress: one line per step, and the create operation's polling. */
  onProgress?: (message: string, op?: OperationProgress) => void;
  pollIntervalMs?: number;
}

export interface CheckReport {
  target: TargetBase;
  repository?: Repository;
  identities: CheckIdentity[];
  findings: CheckFinding[];
  /** True when no finding is an error. */
  ok: boolean;
}

export async function runChecks(api: GcpApi, options: CheckOptions): Promise<CheckReport> {
  const t = options.target;
  const ar = new ArtifactRegistry(api);
  const rm = new ResourceManager(api);
  const iam = new Iam(api);
  const findings: CheckFinding[] = [];
  const progress = options.onProgress ?? (() => undefined);
  const signal = options.signal;
  const report: CheckReport = { target: t, identities: [], findings, ok: false };
  const fatal = (err: unknown, id: string): boolean => {
    if (err instanceof GcpError) {
      if (err.kind === 'cancelled' || err.kind === 'no-credentials' || err.kind === 'unauthenticated') throw err;
      findings.push({ id, severity: 'error', message: err.message, fix: err.fix });
      return true;
    }
    throw err;
  };

  // 1. The repository.
  progress(`Checking repository ${t.resourceName}`);
  let repoExists = false;
  try {
    const res = await ensureRepository(ar, t, {
      create: options.create,
      signal,
      pollIntervalMs: options.pollIntervalMs,
      onProgress: (p) => progress(p.message, p),
    });
    report.repository = res.repository;
    repoExists = res.status === 'exists' || res.status === 'created';
    findings.push({
      id: 'repository',
      severity: repoExists ? 'ok' : 'error',
      message: res.message,
      fix: res.status === 'missing' ? `${res.fix}   (or: ar-migrate check --target ${t.base} --create)` : res.fix,
    });
    if (res.status === 'missing') {
      // Can the caller create it?
      try {
        const granted = await rm.testIamPermissions(t.project, ['artifactregistry.repositories.create'], signal);
        if (!granted.includes('artifactregistry.repositories.create')) {
          findings.push({
            id: 'create',
            severity: 'warning',
            message: `You cannot create repositories in project ${t.project} (missing artifactregistry.repositories.create): ask a project admin to create ${t.repository}.`,
            fix: createRepositoryCommand(t),
          });
        }
      } catch (err) {
        if (err instanceof GcpError && (err.kind === 'cancelled' || err.kind === 'no-credentials')) throw err;
      }
    }
  } catch (err) {
    if (err instanceof GcpError && err.kind === 'service-disabled') {
      findings.push({ id: 'api', severity: 'error', message: err.message, fix: err.fix });
      report.ok = false;
      return report;
    }
    fatal(err, 'repository');
  }

  // 2. The caller can push.
  if (repoExists) {
    progress('Checking that you can push');
    try {
      const granted = await ar.testIamPermissions(t, [UPLOAD_PERMISSION], signal);
      if (granted.includes(UPLOAD_PERMISSION)) {
        findings.push({ id: 'push', severity: 'ok', message: `You can push to ${t.base} (${UPLOAD_PERMISSION}).` });
      } else {
        const me = await api.callerEmail();
        findings.push({
          id: 'push',
          severity: 'error',
          message: `You cannot push to ${t.base}: missing ${UPLOAD_PERMISSION} (role roles/artifactregistry.writer).`,
          fix: addReaderBindingCommand(t, me ? normalizeMember(me) : 'user:YOUR_EMAIL', 'roles/artifactregistry.writer'),
        });
      }
    } catch (err) {
      fatal(err, 'push');
    }
  }

  // 3. Who pulls.
  const req = options.identities ?? {};
  const identities: CheckIdentity[] = [];
  const seen = new Set<string>();
  const add = (member: string, description: string) => {
    const m = normalizeMember(member);
    if (seen.has(m)) return;
    seen.add(m);
    identities.push({ member: m, description });
  };
  for (const m of req.members ?? []) add(m, 'named on the command line');
  const numbers = new Map<string, string>();
  const projectNumber = async (p: string): Promise<string | undefined> => {
    if (numbers.has(p)) return numbers.get(p);
    try {
      const proj = await rm.getProject(p, signal);
      numbers.set(p, proj.projectNumber);
      return proj.projectNumber;
    } catch (err) {
      if (err instanceof GcpError && (err.kind === 'cancelled' || err.kind === 'no-credentials')) throw err;
      findings.push({
        id: 'identity',
        severity: 'warning',
        message: `Cannot find the project number of ${p} to name its runtime identities (${err instanceof Error ? err.message : err}). Name them with --identity.`,
      });
      return undefined;
    }
  };
  let gkeProjects = req.gkeProjects ?? [];
  const cloudRunProjects = req.cloudRunProjects ?? [];
  if ((req.members ?? []).length === 0 && gkeProjects.length === 0 && cloudRunProjects.length === 0) gkeProjects = [t.project];
  if (req.nodeServiceAccount) {
    add(req.nodeServiceAccount, `GKE node service account`);
  } else {
    for (const p of gkeProjects) {
      progress(`Looking up project ${p}`);
      const n = await projectNumber(p);
      if (n) add(computeDefaultServiceAccount(n), `GKE node service account of project ${p} (the Compute Engine default; pass --node-service-account if your nodes use another)`);
    }
  }
  for (const p of cloudRunProjects) {
    progress(`Looking up project ${p}`);
    const n = await projectNumber(p);
    if (n) add(cloudRunServiceAgent(n), `Cloud Run service agent of project ${p}`);
  }
  report.identities = identities;

  if (repoExists && identities.length > 0) {
    progress('Reading IAM policies');
    const policies: PolicyInput[] = [];
    const unread: string[] = [];
    try {
      policies.push({ level: 'repository', policy: await ar.getIamPolicy(t, signal) });
    } catch (err) {
      if (err instanceof GcpError && (err.kind === 'cancelled' || err.kind === 'no-credentials')) throw err;
      unread.push('repository');
      findings.push({
        id: 'policy',
        severity: 'warning',
        message: `Cannot read the IAM policy of repository ${t.repository}: ${err instanceof Error ? err.message : err}`,
      });
    }
    let projectPolicy: IamPolicy | undefined;
    try {
      projectPolicy = await rm.getIamPolicy(t.project, signal);
      policies.push({ level: 'project', policy: projectPolicy });
    } catch (err) {
      if (err instanceof GcpError && (err.kind === 'cancelled' || err.kind === 'no-credentials')) throw err;
      unread.push('project');
      findings.push({
        id: 'policy',
        severity: 'warning',
        message: `Cannot read the IAM policy of project ${t.project}: ${err instanceof Error ? err.message : err}`,
      });
    }
    for (const id of identities) {
      progress(`Checking ${id.member}`);
      const ev = await evaluateAccess(id.member, policies, DOWNLOAD_PERMISSION, (role) => iam.getRole(role, signal));
      id.access = ev;
      const fix = addReaderBindingCommand(t, id.member);
      const who = `${id.member} (${id.description})`;
      if (ev.grants.length > 0) {
        const g = ev.grants[0];
        findings.push({
          id: 'pull',
          severity: 'ok',
          member: id.member,
          message: `${who} can pull: ${g.role} on the ${g.level}${g.via !== id.member ? ` via ${g.via}` : ''}.`,
        });
        continue;
      }
      const notes: string[] = [];
      if (ev.conditional.length > 0) notes.push(`only conditionally (${ev.conditional.map((g) => `${g.role} on the ${g.level} if "${g.condition}"`).join('; ')})`);
      if (ev.possibleVia.length > 0) notes.push(`possibly through ${ev.possibleVia.map((g) => `${g.via} (${g.role} on the ${g.level})`).join(', ')}, which cannot be checked here`);
      const unknown = Object.keys(ev.unknownRoles);
      if (unknown.length > 0) notes.push(`roles that could not be looked up: ${unknown.join(', ')}`);
      if (unread.length > 0) notes.push(`the ${unread.join(' and ')} policy could not be read`);
      // Unverifiable (conditions, groups, unreadable roles or policies): a warning, not a confirmed problem.
      const uncertain = ev.conditional.length > 0 || ev.possibleVia.length > 0 || unknown.length > 0 || unread.length > 0;
      findings.push({
        id: 'pull',
        severity: uncertain ? 'warning' : 'error',
        member: id.member,
        message:
          `${who} ${uncertain ? 'may not be able to' : 'cannot'} pull from ${t.base}: no role with ${DOWNLOAD_PERMISSION} found on the repository or project` +
          (notes.length ? ` — ${notes.join('; ')}` : '') +
          (uncertain ? '' : ' (roles granted on a folder or the organisation are not visible here)') +
          '.',
        fix,
      });
    }
  }

  report.ok = !findings.some((f) => f.severity === 'error');
  return report;
}
