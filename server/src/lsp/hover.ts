/**
 * Hover on an image reference (or on the `$VAR` of a FROM that uses an ARG
 * default): normalised name, registry, first/third party, and the Artifact
 * Registry target it would move to. Plug-ins append sections (pull counts).
 */
import type { Hover, HoverParams, MarkupContent } from 'vscode-languageserver/node';
import { registryLabel } from '../analyze';
import type { Finding, Position, Range } from '../model';
import type { ServerContext } from './context';
import { HOW_TO_SET_TARGET } from './settings';

export function contains(range: Range, pos: Position): boolean {
  const afterStart = pos.line > range.start.line || (pos.line === range.start.line && pos.character >= range.start.character);
  const beforeEnd = pos.line < range.end.line || (pos.line === range.end.line && pos.character <= range.end.character);
  return afterStart && beforeEnd;
}

function code(s: string): string {
  const ticks = s.includes('`') ? '``' : '`';
  return `${ticks}${s}${ticks}`;
}

export async function hover(ctx: ServerContext, params: HoverParams): Promise<Hover | null> {
  const state = ctx.state(params.textDocument.uri);
  if (!state) return null;
  const settings = await ctx.settingsFor(state.uri);
  const analysis = state.analyze(settings);
  const pos = params.position;
  const f: Finding | undefined =
    analysis.findings.find((x) => contains(x.range, pos)) ?? analysis.findings.find((x) => x.usedAt && contains(x.usedAt, pos));
  if (!f) return null;
  const lines: string[] = [];
  if (f.error || !f.ref) {
    lines.push(`**Invalid image reference** ${code(f.resolved)}`, '', f.error ?? 'cannot be parsed');
  } else {
    const party = f.thirdParty ? 'third-party' : 'first-party';
    lines.push(`**${code(f.normalized!)}**`, '');
    lines.push(`Registry: ${registryLabel(f.registry!)} · ${party}${f.ignored ? ' (ignored)' : ''}${f.pulled ? '' : ' · built here, not pulled'}`);
    if (f.text !== f.resolved) lines.push('', `Written as ${code(f.text)}, resolves to ${code(f.resolved)}`);
    if (f.ref.hasVariables) lines.push('', 'Contains unresolved variables.');
    if (f.thirdParty) {
      const target = settings.targetOf(f);
      if (target) lines.push('', `Artifact Registry target: ${code(target)}`);
      else if (settings.target && !settings.target.ok) lines.push('', `Artifact Registry target: ${settings.target.error}`);
      else lines.push('', `Artifact Registry target: not configured. ${HOW_TO_SET_TARGET}`);
    }
  }
  for (const p of ctx.plugins) {
    if (!p.hover) continue;
    try {
      const extra = await p.hover({ finding: f, state, settings });
      if (extra === undefined) continue;
      for (const s of Array.isArray(extra) ? extra : [extra]) if (s) lines.push('', '---', '', s);
    } catch (err) {
      ctx.log.warn(`plug-in ${p.name} hover failed: ${(err as Error)?.message ?? err}`);
    }
  }
  const contents: MarkupContent = { kind: 'markdown', value: lines.join('\n') };
  return { contents, range: contains(f.range, pos) ? f.range : f.usedAt };
}
