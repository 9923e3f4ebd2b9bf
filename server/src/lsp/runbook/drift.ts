/**
 * Drift in the editor: arMigrate/drift runs checkDrift (drift/index.ts) over
 * the workspace's mirrored references (HEAD requests only) and caches the
 * result per mirrored reference; hovers show the cached status, a drifted
 * reference gets the "Re-mirror from upstream" quick fix
 * (arMigrate.server.remirror: copy with the mirror engine, verify, re-pin
 * digests written in the references, clear the status). Network only on
 * demand: nothing is checked while typing or hovering.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CancellationToken, CodeAction, CodeActionKind, ErrorCodes, ResponseError, TextEdit, WorkDoneProgressServerReporter } from 'vscode-languageserver/node';
import { checkDrift, DriftEntry, DriftInputFile, DriftReport } from '../../drift';
import type { Finding } from '../../model';
import { redactLog } from '../../redact';
import { parseNormalized, parseNormalizedTemplate } from '../../references/reference';
import { MirrorSession } from '../../registry/copy';
import type { CodeActionInput, HoverInput, ServerContext } from '../context';
import { abortOn, concurrencyOf, endpointDispatcher, runMirror, serverOptions } from '../mirror/engine';
import { displayName, MirrorProgress } from '../mirror/progress';
import type { ReportResult } from '../report';
import { scanWorkspace } from '../workspaceScan';
import { isObject, requireTrust, stringList, untrustedMessage, withRequest } from './common';
import type { DriftEntryResult, DriftParams, DriftResult, RemirrorArgs, RemirrorResult } from './protocol';
import { REMIRROR_COMMAND, REMIRROR_TITLE } from './protocol';

type Summary = DriftResult['summary'];

interface Cached {
  entry: DriftEntryResult;
  checkedAt: string;
}

/** Drift state of one server: the last check per mirrored reference, and re-mirrors since. */
export class DriftCache {
  readonly entries = new Map<string, Cached>();
  readonly remirrored = new Map<string, { digest?: string; at: string }>();

  get(mirror: string | undefined): Cached | undefined {
    return mirror ? this.entries.get(mirror) : undefined;
  }

  store(result: DriftResult): void {
    for (const e of result.entries) {
      this.entries.set(e.mirror, { entry: e, checkedAt: result.checkedAt });
      this.remirrored.delete(e.mirror);
    }
  }

  clear(mirror: string, digest: string | undefined): void {
    this.entries.delete(mirror);
    this.remirrored.set(mirror, { digest, at: new Date().toISOString() });
  }
}

function short(d: string | undefined): string {
  if (!d) return '?';
  return d.replace(/^(sha256:[a-f0-9]{12})[a-f0-9]+$/, '$1…');
}

function code(s: string): string {
  return s.includes('`') ? `\`\`${s}\`\`` : `\`${s}\``;
}

function ago(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} days ago`;
}

const REFRESH = 'Refresh with **AR Migrate: Check drift** (command palette), which contacts the registries.';

/** Whether a finding is a candidate mirrored reference: first party, under the target base or a full-name mapping. */
function mirroredCandidate(f: Finding, input: HoverInput | CodeActionInput): boolean {
  if (f.thirdParty || f.error || !f.ref || !f.normalized) return false;
  const base = input.settings.base?.base;
  if (base && f.ref.name.startsWith(base + '/')) return true;
  return Object.values(input.settings.settings.pathMapping).some((v) => typeof v === 'string' && /docker\.pkg\.dev(\/|$)/.test(v.split('/')[0]) && f.ref!.name.startsWith(v.replace(/\/+$/, '') + '/'));
}

export function driftHover(cache: DriftCache, input: HoverInput, trusted: boolean): string | undefined {
  const f = input.finding;
  const cached = cache.get(f.normalized);
  if (!cached && !mirroredCandidate(f, input)) return undefined;
  const done = f.normalized ? cache.remirrored.get(f.normalized) : undefined;
  if (!cached) {
    if (done) return `**Drift:** re-mirrored from upstream ${ago(done.at)}${done.digest ? ` (now ${code(short(done.digest))})` : ''}. ${REFRESH}`;
    return `**Drift:** not checked. ${trusted ? REFRESH : 'Checking needs a trusted workspace.'}`;
  }
  const e = cached.entry;
  const when = `checked ${ago(cached.checkedAt)}`;
  const up = e.upstream ? code(e.upstream) : 'its upstream';
  switch (e.status) {
    case 'in-sync':
      return `**Drift: in sync** with ${up} (${code(short(e.upstreamDigest))}), ${when}. ${REFRESH}`;
    case 'drifted':
      return [
        `**Drift: drifted** — ${up} is now ${code(short(e.upstreamDigest))}, the mirror ${e.pinnedDigest ? 'reference pins' : 'has'} ${code(short(e.pinnedDigest ?? e.mirrorDigest))} (${when}).`,
        '',
        `Quick fix: *${REMIRROR_TITLE}* copies ${up} again${e.pinnedDigest ? ' and updates the pinned digest' : ''}. ${REFRESH}`,
      ].join('\n');
    case 'mirror-missing':
      return `**Drift: missing from the mirror** — ${e.reason ?? 'the mirror has no such tag'} (${when}). Quick fix: *${REMIRROR_TITLE}*. ${REFRESH}`;
    case 'upstream-missing':
      return `**Drift: upstream gone** — ${e.reason ?? `${up} no longer exists`}; the mirror keeps ${code(short(e.mirrorDigest))} (${when}). ${REFRESH}`;
    case 'error':
      return `**Drift: could not check** — ${e.reason ?? 'unknown error'} (${when}). ${REFRESH}`;
    default:
      return `**Drift: not checkable** — ${e.reason ?? 'no upstream tag to compare'} (${when}).`;
  }
}

export function driftCodeActions(cache: DriftCache, input: CodeActionInput, trusted: boolean): CodeAction[] {
  if (!trusted) return [];
  const only = input.params.context.only;
  if (only && !only.some((k) => CodeActionKind.QuickFix.startsWith(k) || k === CodeActionKind.QuickFix)) return [];
  const out: CodeAction[] = [];
  const seen = new Set<string>();
  for (const f of input.findings) {
    const c = cache.get(f.normalized);
    if (!c || seen.has(c.entry.mirror)) continue;
    const e = c.entry;
    if ((e.status !== 'drifted' && e.status !== 'mirror-missing') || !e.upstream) continue;
    seen.add(e.mirror);
    const args: RemirrorArgs = { mirror: e.mirror, upstream: e.upstream };
    out.push({ title: `${REMIRROR_TITLE} (${displayName(e.upstream)})`, kind: CodeActionKind.QuickFix, isPreferred: true, command: { title: REMIRROR_TITLE, command: REMIRROR_COMMAND, arguments: [args] } });
  }
  return out;
}

function emptySummary(): Summary {
  return { 'in-sync': 0, drifted: 0, 'upstream-missing': 0, 'mirror-missing': 0, error: 0, unchecked: 0, references: 0 };
}

function toResult(e: DriftEntry): DriftEntryResult {
  const out: DriftEntryResult = {
    mirror: e.mirror,
    upstream: e.upstream,
    status: e.status,
    references: e.references.map((r) => ({ uri: pathToFileURL(r.file).toString(), range: r.range, text: r.text })),
  };
  for (const k of ['upstreamDigest', 'mirrorDigest', 'pinnedDigest'] as const) if (e[k] !== undefined) out[k] = e[k];
  // a registry's error text, shown in the drift hover and the client's report
  if (e.reason !== undefined) out.reason = redactLog(e.reason);
  return out;
}

/** arMigrate/drift: checks every mirrored reference of the workspace, caches and returns the statuses. */
export async function handleDrift(ctx: ServerContext, cache: DriftCache, params: DriftParams | undefined, token: CancellationToken): Promise<DriftResult> {
  requireTrust(ctx, 'Check drift');
  const p: Partial<DriftParams> = isObject(params) ? params : {};
  const folders = stringList(p.folders);
  return withRequest(ctx, params, token, 'AR Migrate: checking drift', async (signal, report) => {
    report('finding mirrored references…', 0);
    const ws = await scanWorkspace(ctx, { folders: folders.length ? folders : undefined, includeAll: true, withPulls: false }, token);
    // Per workspace folder: its own target and path mapping.
    const byFolder = new Map<string, DriftInputFile[]>();
    const files = new Map<string, DriftInputFile>();
    for (const w of ws.findings) {
      if (w.thirdParty || w.error || !w.normalized) continue;
      const parsed = parseNormalizedTemplate(w.resolved);
      if (!parsed.ok) continue;
      let file = files.get(w.uri);
      if (!file) {
        let fsPath: string;
        try {
          fsPath = w.uri.startsWith('file:') ? fileURLToPath(w.uri) : w.uri;
        } catch {
          continue;
        }
        file = { path: fsPath, findings: [] };
        files.set(w.uri, file);
        const list = byFolder.get(w.folder) ?? [];
        list.push(file);
        byFolder.set(w.folder, list);
      }
      const finding: Finding = {
        text: w.text,
        resolved: w.resolved,
        range: w.range,
        kind: w.kind as Finding['kind'],
        pulled: w.pulled,
        ref: parsed.value,
        normalized: w.normalized,
        registry: w.registry,
        thirdParty: false,
        ignored: w.ignored,
      } as Finding;
      (file.findings as Finding[]).push(finding);
    }
    const opts = serverOptions(ctx);
    const session = new MirrorSession({ insecureRegistries: opts.insecureRegistries, allowCredentialHelpers: true, dispatcher: endpointDispatcher() });
    const targets: string[] = [];
    const merged = new Map<string, DriftEntryResult>();
    let anyBase = false;
    let lastError: string | undefined;
    const groups = byFolder.size ? [...byFolder.entries()] : [[ws.findings[0]?.folder ?? '', []] as [string, DriftInputFile[]]];
    for (const [folder, list] of groups) {
      const settings = await ctx.settingsFor(folder || undefined);
      if (!settings.base) {
        if (settings.target && !settings.target.ok) lastError = settings.target.error;
        continue;
      }
      anyBase = true;
      if (!targets.includes(settings.base.base)) targets.push(settings.base.base);
      const r: DriftReport = await checkDrift(list, settings.base.base, {
        pathMapping: settings.settings.pathMapping,
        session,
        signal,
        concurrency: concurrencyOf(settings),
        onEntry: (e, done, total) => report(`${done}/${total} ${displayName(e.mirror)}: ${e.status}`, Math.round((done / Math.max(1, total)) * 100)),
      });
      for (const e of r.entries) {
        const have = merged.get(e.mirror);
        if (have) have.references.push(...toResult(e).references);
        else merged.set(e.mirror, toResult(e));
      }
    }
    if (!anyBase) {
      const ws0 = await ctx.settingsFor();
      if (!ws0.base) throw new ResponseError(ErrorCodes.InvalidParams, redactLog(`Check drift: ${lastError ?? 'no Artifact Registry target is configured: set "arMigrate.target" (LOCATION-docker.pkg.dev/PROJECT/REPOSITORY)'}`));
      targets.push(ws0.base.base);
    }
    const entries = [...merged.values()];
    const summary = emptySummary();
    for (const e of entries) {
      summary[e.status]++;
      summary.references += e.references.length;
    }
    const result: DriftResult = { checkedAt: new Date().toISOString(), targets, entries, summary };
    if (!signal.aborted) cache.store(result);
    ctx.log.info(
      `drift (${targets.join(', ')}): ${entries.length} mirrored image(s): ${summary['in-sync']} in sync, ${summary.drifted} drifted, ${summary['mirror-missing']} mirror missing, ${summary['upstream-missing']} upstream missing, ${summary.error} errors, ${summary.unchecked} unchecked`,
    );
    for (const e of entries) if (e.status !== 'in-sync') ctx.log.info(`drift: ${e.status} ${e.mirror}${e.upstream ? ` <- ${e.upstream}` : ''}${e.reason ? `: ${e.reason}` : ''}`);
    return result;
  });
}

/** Edits replacing `oldDigest` by `newDigest` in the references, checked against the current text. */
async function repinEdits(ctx: ServerContext, refs: DriftEntryResult['references'], oldDigest: string, newDigest: string): Promise<Record<string, TextEdit[]>> {
  const changes: Record<string, TextEdit[]> = {};
  const texts = new Map<string, string | undefined>();
  for (const r of refs) {
    if (!texts.has(r.uri)) {
      const open = ctx.documents.get(r.uri);
      let text: string | undefined = open?.getText();
      if (text === undefined) {
        try {
          text = await readFile(fileURLToPath(r.uri), 'utf8');
        } catch {
          text = undefined;
        }
      }
      texts.set(r.uri, text);
    }
    const text = texts.get(r.uri);
    if (text === undefined) continue;
    const lines = text.split('\n');
    if (r.range.start.line !== r.range.end.line || r.range.start.line >= lines.length) continue;
    const line = lines[r.range.start.line];
    const now = line.slice(r.range.start.character, r.range.end.character);
    if (now !== r.text || !now.includes(oldDigest)) {
      ctx.log.warn(`re-mirror: ${r.uri}:${r.range.start.line + 1} changed since the drift check; its digest was not updated`);
      continue;
    }
    (changes[r.uri] ??= []).push({ range: r.range, newText: now.split(oldDigest).join(newDigest) });
  }
  return changes;
}

/** arMigrate.server.remirror [{ mirror, upstream }]: copy upstream over the mirror tag, verify, re-pin, clear the status. */
export async function remirror(ctx: ServerContext, cache: DriftCache, arg: unknown, token: CancellationToken): Promise<RemirrorResult> {
  const a = (Array.isArray(arg) ? arg[0] : arg) as Partial<RemirrorArgs> | undefined;
  const fail = (rawMessage: string): RemirrorResult => {
    // error text can echo arguments, registry answers or the client's reasons: never a credential
    const message = redactLog(rawMessage);
    ctx.log.error(message);
    try {
      ctx.connection.window.showErrorMessage(`AR Migrate: ${message}`);
    } catch {
      /* gone */
    }
    return { ok: false, repinned: 0, message };
  };
  const opts = serverOptions(ctx);
  if (!opts.trusted) return fail(untrustedMessage('Re-mirroring'));
  if (!isObject(a) || typeof a.mirror !== 'string' || typeof a.upstream !== 'string') return fail('Re-mirror: missing argument { mirror, upstream }.');
  const up = parseNormalized(a.upstream.trim());
  const mirror = parseNormalized(a.mirror.trim());
  if (!up.ok) return fail(`Re-mirror: "${a.upstream}" is not a valid image reference: ${up.error}`);
  if (!mirror.ok) return fail(`Re-mirror: "${a.mirror}" is not a valid image reference: ${mirror.error}`);
  if (up.value.tag === undefined || up.value.digest) return fail(`Re-mirror: ${a.upstream} has no tag to copy.`);
  const target = `${mirror.value.name}:${mirror.value.tag ?? up.value.tag}`;
  const source = up.value.normalized;
  const cached = cache.get(mirror.value.normalized)?.entry;
  let reporter: WorkDoneProgressServerReporter | undefined;
  try {
    reporter = await ctx.connection.window.createWorkDoneProgress();
  } catch {
    reporter = undefined;
  }
  const abort = abortOn(token, reporter?.token);
  const progress = new MirrorProgress([source], { report: (message, percentage) => reporter?.report(percentage, message) });
  reporter?.begin(`Re-mirroring ${displayName(source)}`, 0, `${displayName(source)} - resolving`, true);
  ctx.log.info(`Re-mirroring ${source} -> ${target}`);
  let run;
  try {
    run = await runMirror([{ source, target }], {
      signal: abort.signal,
      concurrency: 1,
      insecureRegistries: opts.insecureRegistries,
      onProgress: (e) => progress.onEvent(e),
      onImageDone: (r) => progress.finish(r.source),
      log: ctx.log,
    });
  } finally {
    progress.dispose();
    abort.dispose();
    try {
      reporter?.done();
    } catch {
      /* closed */
    }
  }
  const r = run.results[0];
  if (run.cancelled) {
    const message = redactLog(`re-mirroring ${displayName(source)} was cancelled; the drift status is unchanged.`);
    ctx.log.warn(message);
    return { ok: false, cancelled: true, repinned: 0, message };
  }
  if (!r?.ok) return fail(`could not re-mirror ${displayName(source)} to ${target}: ${r?.error ?? 'nothing was copied'}`);
  let repinned = 0;
  let note = '';
  const pinned = cached?.pinnedDigest ?? mirror.value.digest;
  if (pinned && r.digest && pinned !== r.digest) {
    const refs = cached?.references ?? [];
    const changes = await repinEdits(ctx, refs, pinned, r.digest);
    const count = Object.values(changes).reduce((n, l) => n + l.length, 0);
    if (count > 0) {
      try {
        const applied = await ctx.connection.workspace.applyEdit({ label: `Update the pinned digest of ${displayName(target)}`, edit: { changes } });
        if (applied.applied) repinned = count;
        else note = ` The editor did not apply the digest update${applied.failureReason ? ` (${applied.failureReason})` : ''}.`;
      } catch (err) {
        note = ` The digest update failed: ${(err as Error)?.message ?? err}.`;
      }
    }
    if (repinned === 0 && !note) note = ` Update the pinned digest ${short(pinned)} to ${r.digest} in the references.`;
  }
  cache.clear(mirror.value.normalized, r.digest);
  if (mirror.value.normalized !== `${target}`) cache.clear(target, r.digest);
  const message = redactLog(`re-mirrored ${displayName(source)} to ${target} (${short(r.digest)})${repinned ? `, updated the pinned digest in ${repinned} reference(s)` : ''}.${note}`);
  ctx.log.info(message);
  try {
    if (note) ctx.connection.window.showWarningMessage(`AR Migrate: ${message}`);
    else ctx.connection.window.showInformationMessage(`AR Migrate: ${message}`);
  } catch {
    /* gone */
  }
  return { ok: true, digest: r.digest, repinned, message };
}

/** Adds the cached drift statuses to the report's images (ReportImage.drift, client ReportDrift). */
export function enrichReportWithDrift(cache: DriftCache, report: ReportResult): void {
  if (cache.entries.size === 0) return;
  const byRepo = new Map<string, { mirror: string; upstream: string; status: DriftEntryResult['status']; checkedAt: string }[]>();
  for (const { entry, checkedAt } of cache.entries.values()) {
    const p = parseNormalized(entry.mirror);
    if (!p.ok) continue;
    const list = byRepo.get(p.value.name) ?? [];
    list.push({ mirror: entry.mirror, upstream: entry.upstream, status: entry.status, checkedAt });
    byRepo.set(p.value.name, list);
  }
  for (const img of report.images) {
    const d = byRepo.get(img.repository);
    if (d) (img as typeof img & { drift?: typeof d }).drift = d.sort((x, y) => x.mirror.localeCompare(y.mirror));
  }
}
