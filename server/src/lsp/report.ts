/**
 * arMigrate/report: the workspace's images aggregated by repository (the unit
 * that gets mirrored), for the client's report view. Pull counts come from
 * plug-ins (enrichScan fills finding.pulls, enrichReport may add daily series).
 */
import type { CancellationToken, WorkDoneProgressReporter } from 'vscode-languageserver/node';
import type { ReportImage, ReportResult } from '../../../client/src/protocol';
import type { ServerContext } from './context';
import { scanWorkspace } from './workspaceScan';

export const REPORT_REQUEST = 'arMigrate/report';

// The shapes are the client's protocol (plain data, no `vscode` import).
export type { ReportImage, ReportResult };

export async function report(ctx: ServerContext, token?: CancellationToken, progress?: WorkDoneProgressReporter): Promise<ReportResult> {
  const scan = await scanWorkspace(ctx, { includeAll: true, withPulls: true }, token, progress);
  const byRepo = new Map<string, ReportImage & { fileSet: Set<string>; versionSet: Set<string>; anyActive: boolean }>();
  for (const f of scan.findings) {
    if (!f.repository || f.error) continue;
    let img = byRepo.get(f.repository);
    if (!img) {
      img = {
        repository: f.repository,
        familiar: (f.familiar ?? f.repository).replace(/[:@].*$/, ''),
        registry: f.registry ?? '',
        versions: [],
        references: 0,
        files: [],
        thirdParty: f.thirdParty,
        ignored: true,
        fileSet: new Set(),
        versionSet: new Set(),
        anyActive: false,
      };
      byRepo.set(f.repository, img);
    }
    img.references++;
    img.fileSet.add(f.uri);
    const version = f.digest ? (f.tag ? `${f.tag}@${f.digest}` : `@${f.digest}`) : f.tag ?? 'latest';
    img.versionSet.add(version);
    if (!f.ignored) img.anyActive = true;
    if (f.pulls !== undefined) img.pulls = Math.max(img.pulls ?? 0, f.pulls);
    if (f.rewriteTo && !img.rewriteTo) img.rewriteTo = f.rewriteTo.replace(/[:@].*$/, '');
  }
  const images: ReportImage[] = [...byRepo.values()].map(({ fileSet, versionSet, anyActive, ...img }) => ({
    ...img,
    ignored: !anyActive,
    files: [...fileSet].sort(),
    versions: [...versionSet].sort(),
  }));
  images.sort((a, b) => (b.pulls ?? -1) - (a.pulls ?? -1) || Number(b.thirdParty) - Number(a.thirdParty) || a.repository.localeCompare(b.repository));
  const pulls = images.some((i) => i.pulls !== undefined) ? images.reduce((n, i) => n + (i.pulls ?? 0), 0) : undefined;
  const result: ReportResult = {
    generatedAt: new Date().toISOString(),
    target: scan.target,
    pullSource: scan.pullSource,
    images,
    totals: {
      images: images.length,
      thirdParty: images.filter((i) => i.thirdParty && !i.ignored).length,
      ignored: images.filter((i) => i.ignored).length,
      references: images.reduce((n, i) => n + i.references, 0),
      files: new Set(images.flatMap((i) => i.files)).size,
      pulls,
    },
  };
  for (const p of ctx.plugins) {
    if (!p.enrichReport) continue;
    try {
      await p.enrichReport(result, ctx);
    } catch (err) {
      ctx.log.warn(`plug-in ${p.name} enrichReport failed: ${(err as Error)?.message ?? err}`);
    }
  }
  return result;
}
