/**
 * Language server settings: section `arMigrate` of workspace/configuration,
 * initializationOptions (for editors without workspace/configuration), and
 * `.ar-migrate.json` in a workspace folder. A small, normalised object; the
 * whole raw section is kept in `raw` for plug-ins (pull counts, mirroring).
 *
 *   {
 *     "target": "us-central1-docker.pkg.dev/my-project/mirror",
 *     "pathMapping": { "docker.io/library": "hub" },
 *     "firstPartyRegistries": ["harbor.corp.example"],
 *     "ignoredImages": ["docker.io/library/busybox"],
 *     "severity": { "thirdPartyImage": "warning", "invalid-image-reference": "error", ... }
 *   }
 */
import { DiagnosticSeverity } from 'vscode-languageserver/node';
import { CODES, DiagnosticCode } from '../analyze';
import { parseTargetBase, TargetBase, targetName, targetReference } from '../references/target';
import type { Finding } from '../model';
import { Policy } from '../references/policy';
import type { ProjectConfig } from '../workspace/config';

export const SECTION = 'arMigrate';

export type SeverityName = 'error' | 'warning' | 'information' | 'hint' | 'off';

export interface Settings {
  /** Artifact Registry base, '' when not configured. */
  target: string;
  pathMapping: Record<string, string>;
  firstPartyRegistries: string[];
  ignoredImages: string[];
  severity: Record<DiagnosticCode, SeverityName>;
  /** The raw `arMigrate` section as received (for plug-ins). */
  raw: Record<string, unknown>;
}

export const DEFAULT_SEVERITY: Record<DiagnosticCode, SeverityName> = {
  [CODES.thirdParty]: 'warning',
  [CODES.firstParty]: 'off',
  [CODES.invalid]: 'error',
  [CODES.yamlParse]: 'warning',
  [CODES.extract]: 'warning',
  [CODES.fileSkipped]: 'information',
};

export function defaultSettings(): Settings {
  return { target: '', pathMapping: {}, firstPartyRegistries: [], ignoredImages: [], severity: { ...DEFAULT_SEVERITY }, raw: {} };
}

const SEVERITIES: Record<string, SeverityName> = {
  error: 'error',
  warning: 'warning',
  warn: 'warning',
  information: 'information',
  info: 'information',
  hint: 'hint',
  off: 'off',
  none: 'off',
  ignore: 'off',
};

/** LSP DiagnosticSeverity numbers, 0 = off. */
const NUMERIC_SEVERITIES: Record<number, SeverityName> = { 0: 'off', 1: 'error', 2: 'warning', 3: 'information', 4: 'hint' };

/** `thirdPartyImage` -> `third-party-image`. */
function codeOf(key: string): DiagnosticCode | undefined {
  const kebab = key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  return (Object.values(CODES) as string[]).includes(kebab) ? (kebab as DiagnosticCode) : undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x.trim() !== '') : [];
}

/** Appends the items of `add` not yet in `list` (a Set: settings may hold huge lists). */
function addUnique(list: string[], add: readonly string[]): void {
  if (add.length === 0) return;
  const seen = new Set(list);
  for (const r of add) {
    if (seen.has(r)) continue;
    seen.add(r);
    list.push(r);
  }
}

/**
 * Normalises a raw section onto `base`: strings override when non-empty,
 * lists are added, objects merged. Unknown or mistyped values are ignored.
 * Accepts dotted keys too (`severity.thirdPartyImage`), as some clients flatten.
 */
export function mergeSettings(base: Settings, input: unknown): Settings {
  if (!isObject(input)) return base;
  let raw: Record<string, unknown> = input;
  if (isObject(raw[SECTION])) raw = raw[SECTION] as Record<string, unknown>;
  const out: Settings = {
    ...base,
    pathMapping: { ...base.pathMapping },
    firstPartyRegistries: [...base.firstPartyRegistries],
    ignoredImages: [...base.ignoredImages],
    severity: { ...base.severity },
    raw: { ...base.raw, ...raw },
  };
  if (typeof raw.target === 'string' && raw.target.trim() !== '') out.target = raw.target.trim();
  if (isObject(raw.pathMapping)) for (const [k, v] of Object.entries(raw.pathMapping)) if (typeof v === 'string') out.pathMapping[k] = v;
  addUnique(out.firstPartyRegistries, strings(raw.firstPartyRegistries));
  addUnique(out.ignoredImages, strings(raw.ignoredImages));
  const sev: Record<string, unknown> = isObject(raw.severity) ? { ...raw.severity } : {};
  for (const [k, v] of Object.entries(raw)) if (k.startsWith('severity.')) sev[k.slice(9)] = v;
  for (const [k, v] of Object.entries(sev)) {
    const code = codeOf(k);
    const s = typeof v === 'string' ? SEVERITIES[v.toLowerCase()] : typeof v === 'number' ? NUMERIC_SEVERITIES[v] : undefined;
    if (code && s) out.severity[code] = s;
  }
  return out;
}

/** Settings from a `.ar-migrate.json` (same fields). */
export function mergeProjectConfig(base: Settings, config: ProjectConfig | undefined): Settings {
  if (!config) return base;
  const { exclude: _exclude, ...rest } = config;
  return mergeSettings(base, rest);
}

export function toLspSeverity(s: SeverityName): DiagnosticSeverity | undefined {
  switch (s) {
    case 'error':
      return DiagnosticSeverity.Error;
    case 'warning':
      return DiagnosticSeverity.Warning;
    case 'information':
      return DiagnosticSeverity.Information;
    case 'hint':
      return DiagnosticSeverity.Hint;
    default:
      return undefined;
  }
}

/** Settings plus what is derived from them once (policy, parsed target). */
export class EffectiveSettings {
  readonly policy: Policy;
  readonly target: { ok: true; value: TargetBase } | { ok: false; error: string } | undefined;
  constructor(readonly settings: Settings) {
    this.policy = new Policy({ firstPartyRegistries: settings.firstPartyRegistries, ignoredImages: settings.ignoredImages });
    this.target = settings.target ? parseTargetBase(settings.target) : undefined;
  }
  /** The parsed target base, when configured and valid. */
  get base(): TargetBase | undefined {
    return this.target?.ok ? this.target.value : undefined;
  }
  /** Where a finding would move: the full target reference (tag/digest as written), when a valid target is set. */
  targetOf(f: Finding): string | undefined {
    const base = this.base;
    if (!base || !f.ref || f.error) return undefined;
    return targetReference(f.ref, base, { pathMapping: this.settings.pathMapping });
  }
  /** The target repository name (no tag) of a finding. */
  targetNameOf(f: Finding): string | undefined {
    const base = this.base;
    if (!base || !f.ref || f.error) return undefined;
    return targetName(f.ref, base, { pathMapping: this.settings.pathMapping });
  }
}

export const HOW_TO_SET_TARGET =
  'Set "arMigrate.target" to your Artifact Registry repository (LOCATION-docker.pkg.dev/PROJECT/REPOSITORY) in the editor settings, or "target" in .ar-migrate.json at the workspace root.';
