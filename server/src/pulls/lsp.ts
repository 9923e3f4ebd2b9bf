/**
 * Pull counts in the language server, as a plug-in (see server/src/lsp/context.ts
 * ServerPlugin; register with `PLUGINS.push(pullCountsPlugin())` in lsp/plugins.ts).
 *
 * - hover section (pulls in window, peak/hour, all tags, clusters, limit risk, source)
 * - diagnostic severity: error over a registry limit, information when not pulled
 * - inlay hints (`1,204 pulls / 7 d`) or code lenses, per `arMigrate.annotations`
 * - `arMigrate/refreshPullCounts` request (work-done progress, cancellable)
 * - `arMigrate/pullCountsEstimate` request: dry run bytes of the BigQuery query
 * - scan/report enrichment (finding.pulls, pullSource, daily series)
 *
 * Types are structural (no import from ../lsp) so this module does not depend on
 * the server's internals; the shapes match ServerContext/ServerPlugin.
 */
import type {
  CancellationToken,
  CodeLens,
  CodeLensParams,
  Connection,
  Diagnostic,
  InitializeParams,
  InlayHint,
  InlayHintParams,
  Range,
  ServerCapabilities,
} from 'vscode-languageserver/node';
import type { Finding } from '../model';
import { DAY_MS, PullCounts } from './counts';
import { PullCountService, PullServiceOptions, PullStatus, settingsFromEditor } from './service';
import { formatBytes } from './text';
import { assessRisk } from './limits';

export const REFRESH_PULL_COUNTS_REQUEST = 'arMigrate/refreshPullCounts';
export const PULL_COUNTS_ESTIMATE_REQUEST = 'arMigrate/pullCountsEstimate';

/** The server context as this plug-in uses it (a subset of lsp/context.ts ServerContext). */
export interface PullPluginContext {
  readonly connection: Connection;
  readonly log: { info(m: string): void; warn(m: string): void; error(m: string): void };
  initializeParams(): InitializeParams | undefined;
  state(uri: string): { analyze(settings: any): { findings: Finding[] } } | undefined;
  settingsFor(uri?: string): Promise<{ settings: { raw: Record<string, unknown> } }>;
  workspaceFolders(): string[];
  refreshDiagnostics(uri?: string): void;
}

/** What lsp/context.ts passes to a plug-in's hover hook. */
export interface PullHoverInput {
  finding: Finding;
}

// The request shapes are the client protocol's (plain data, type-only import: no bundle dependency).
import type { PullSourceInfo, RefreshPullCountsResult } from '../../../client/src/protocol';
export type { PullSourceInfo, RefreshPullCountsResult };

export function pullSourceInfo(status: PullStatus): PullSourceInfo {
  const s = status.source;
  return {
    kind: s.kind,
    description: s.kind === 'none' ? status.message : s.description,
    fetchedAt: s.fetchedAt,
    bytesProcessed: s.bytesProcessed,
    fromCache: s.fromCache,
    windowDays: status.window?.days,
  };
}

/** Daily pulls over the window, oldest first (for sparklines). */
export function dailySeries(hourly: Record<string, number>, counts: PullCounts): number[] {
  const start = Date.parse(counts.window.start);
  const days = Math.max(1, Math.ceil(counts.window.days));
  const out = new Array<number>(days).fill(0);
  for (const [h, n] of Object.entries(hourly)) {
    const i = Math.floor((Number(h) * 3_600_000 - start) / DAY_MS);
    out[Math.min(days - 1, Math.max(0, i))] += n;
  }
  return out;
}

type Annotations = 'inlayHint' | 'codeLens' | 'off';

function annotationsOf(raw: Record<string, unknown> | undefined): Annotations {
  const v = raw?.annotations;
  return v === 'codeLens' || v === 'off' ? v : 'inlayHint';
}

function intersects(a: Range, b: Range): boolean {
  const before = (p: { line: number; character: number }, q: { line: number; character: number }) => p.line < q.line || (p.line === q.line && p.character < q.character);
  return !before(a.end, b.start) && !before(b.end, a.start);
}

function annotated(f: Finding): boolean {
  return f.thirdParty && !f.ignored && f.pulled && !f.error && Boolean(f.normalized);
}

export interface PullCountsPluginOptions {
  /** Service options (tests: now, connection). */
  service?: PullServiceOptions;
}

/** The pull-count plug-in. One service per server; one query per refresh for the whole workspace. */
export function pullCountsPlugin(options: PullCountsPluginOptions = {}) {
  let service: PullCountService | undefined;
  let annotations: Annotations = 'inlayHint';
  let firstRunNotified = false;

  const trustAndStorage = (ctx: PullPluginContext) => {
    const init = (ctx.initializeParams()?.initializationOptions ?? {}) as { trusted?: boolean; storagePath?: string };
    return { trusted: init.trusted !== false, storagePath: typeof init.storagePath === 'string' ? init.storagePath : undefined };
  };

  const loadSettings = async (ctx: PullPluginContext) => {
    const eff = await ctx.settingsFor();
    const raw = eff?.settings?.raw ?? {};
    annotations = annotationsOf(raw);
    return settingsFromEditor(raw, trustAndStorage(ctx));
  };

  const refreshViews = (ctx: PullPluginContext) => {
    ctx.refreshDiagnostics();
    const caps = ctx.initializeParams()?.capabilities?.workspace as any;
    if (caps?.inlayHint?.refreshSupport) void ctx.connection.languages.inlayHint.refresh().catch(() => undefined);
    if (caps?.codeLens?.refreshSupport) void ctx.connection.sendRequest('workspace/codeLens/refresh').catch(() => undefined);
  };

  const findingsOf = async (ctx: PullPluginContext, uri: string): Promise<Finding[]> => {
    const state = ctx.state(uri);
    if (!state) return [];
    const settings = await ctx.settingsFor(uri);
    return state.analyze(settings).findings;
  };

  const abortOn = (token?: CancellationToken): AbortSignal | undefined => {
    if (!token) return undefined;
    const ac = new AbortController();
    if (token.isCancellationRequested) ac.abort();
    token.onCancellationRequested(() => ac.abort());
    return ac.signal;
  };

  return {
    name: 'pull-counts',

    /** The service (for other plug-ins and tests). */
    get service(): PullCountService | undefined {
      return service;
    },

    capabilities(caps: ServerCapabilities, _params: InitializeParams): void {
      caps.inlayHintProvider = { resolveProvider: false };
      caps.codeLensProvider = { resolveProvider: false };
    },

    async activate(ctx: PullPluginContext): Promise<void> {
      const settings = await loadSettings(ctx);
      service = new PullCountService(settings, {
        workspaceRoot: ctx.workspaceFolders()[0],
        log: (m) => ctx.log.info(`pull counts: ${m}`),
        confirmFirstRun: (estimate) => {
          // Shown once, not blocking: the first query of a source and what it scans.
          if (!firstRunNotified) {
            firstRunNotified = true;
            void ctx.connection.window.showInformationMessage(
              `AR Migrate: counting image pulls from ${estimate.table} (the query scans ${formatBytes(estimate.bytes)}, billed to ${estimate.billingProject}).`,
            );
          }
          return true;
        },
        ...options.service,
      });
      service.onDidChange((st) => {
        if (st.state !== 'loading') refreshViews(ctx);
      });
      const c = ctx.connection;
      c.languages.inlayHint.on(async (params: InlayHintParams): Promise<InlayHint[]> => {
        try {
          if (!service || annotations !== 'inlayHint') return [];
          const out: InlayHint[] = [];
          for (const f of await findingsOf(ctx, params.textDocument.uri)) {
            if (!annotated(f) || !intersects(f.range, params.range)) continue;
            const label = service.inlayLabel(f);
            if (label) out.push({ position: f.range.end, label, paddingLeft: true });
          }
          return out;
        } catch (err) {
          ctx.log.warn(`pull counts inlay hints failed: ${(err as Error)?.message ?? err}`);
          return [];
        }
      });
      c.onCodeLens(async (params: CodeLensParams): Promise<CodeLens[]> => {
        try {
          if (!service || annotations !== 'codeLens') return [];
          const out: CodeLens[] = [];
          for (const f of await findingsOf(ctx, params.textDocument.uri)) {
            if (!annotated(f)) continue;
            const label = service.inlayLabel(f);
            if (label) out.push({ range: f.range, command: { title: label, command: 'arMigrate.refreshPullCounts' } });
          }
          return out;
        } catch (err) {
          ctx.log.warn(`pull counts code lenses failed: ${(err as Error)?.message ?? err}`);
          return [];
        }
      });
      c.onRequest(REFRESH_PULL_COUNTS_REQUEST, async (params: { workDoneToken?: string | number } | undefined, token?: CancellationToken): Promise<RefreshPullCountsResult> => {
        if (!service) return { source: { kind: 'none', description: 'pull counts are not ready' }, images: 0, totalPulls: 0, error: 'pull counts are not ready' };
        const progress = params?.workDoneToken !== undefined ? c.window.attachWorkDoneProgress(params.workDoneToken) : undefined;
        progress?.begin('Refreshing pull counts', undefined, undefined, true);
        try {
          const st = await service.refresh({ signal: abortOn(token), onProgress: (m) => progress?.report(m) });
          const counts = service.counts();
          return {
            source: pullSourceInfo(st),
            images: counts ? Object.keys(counts.images).length : 0,
            totalPulls: counts?.totalPulls ?? 0,
            error: st.error && st.state !== 'disabled' ? st.error.message : undefined,
          };
        } finally {
          progress?.done();
        }
      });
      c.onRequest(PULL_COUNTS_ESTIMATE_REQUEST, async () => {
        if (!service) return { error: 'pull counts are not ready' };
        try {
          const d = await service.dryRun();
          return { bytes: d.bytes, table: d.table, billingProject: d.billingProject, message: `The pull count query on ${d.table} scans ${formatBytes(d.bytes)}.` };
        } catch (err) {
          return { error: (err as Error)?.message ?? String(err) };
        }
      });
      void service.ensureFresh();
    },

    async settingsChanged(ctx: PullPluginContext): Promise<void> {
      if (!service) return;
      service.configure(await loadSettings(ctx));
      void service.ensureFresh();
    },

    hover(input: PullHoverInput): string | undefined {
      const f = input.finding;
      if (!service || !f.normalized || f.error || !f.pulled) return undefined;
      if (service.status().state === 'disabled') return undefined;
      return service.hoverMarkdown(f);
    },

    decorateDiagnostic(diagnostic: Diagnostic, finding: Finding): Diagnostic | undefined {
      if (!service || !finding.thirdParty || finding.ignored) return diagnostic;
      const sev = service.severityFor(finding);
      if (sev === 'default') return diagnostic;
      const stats = service.statsFor(finding);
      const days = service.counts()?.window.days ?? 7;
      if (sev === 'error' && stats) {
        const risk = assessRisk(stats, service.limits());
        const l = risk.limit;
        return {
          ...diagnostic,
          severity: 1,
          message: `${diagnostic.message} — ${risk.maxInWindow.toLocaleString('en-US')} pulls in ${l?.windowHours ?? 6} h exceed the ${l?.label ?? l?.registry ?? 'registry'} limit of ${l?.pulls ?? '?'}`,
        };
      }
      return { ...diagnostic, severity: 3, message: `${diagnostic.message} (not pulled in the last ${days} days)` };
    },

    async enrichScan(result: { findings: Array<{ normalized?: string; kind: string; pulls?: number }>; pullSource?: unknown }, params: { withPulls?: boolean }): Promise<void> {
      if (!service || params?.withPulls === false) return;
      const st = await service.ensureFresh();
      result.pullSource = pullSourceInfo(st);
      if (!service.counts()) return;
      for (const f of result.findings) {
        if (!f.normalized || f.kind === 'cloudrun') continue;
        const s = service.statsFor(f.normalized);
        if (s) f.pulls = s.pulls;
      }
    },

    async enrichReport(report: { images: Array<{ repository: string; pulls?: number; daily?: number[] }>; pullSource?: unknown; totals: { pulls?: number } }): Promise<void> {
      if (!service) return;
      const st = await service.ensureFresh();
      report.pullSource = pullSourceInfo(st);
      const counts = service.counts();
      if (!counts) return;
      let total = 0;
      for (const img of report.images) {
        const r = counts.repositories[img.repository];
        img.pulls = r?.pulls ?? 0;
        img.daily = r ? dailySeries(r.hourly, counts) : new Array(Math.max(1, Math.ceil(counts.window.days))).fill(0);
        total += img.pulls;
      }
      report.totals.pulls = total;
    },

    dispose(): void {
      service = undefined;
    },
  };
}

export type PullCountsPlugin = ReturnType<typeof pullCountsPlugin>;
