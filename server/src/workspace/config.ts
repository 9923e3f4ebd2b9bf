/**
 * `.ar-migrate.json` at a workspace / scan root: project-wide settings shared by
 * the CLI and the language server.
 *
 *   {
 *     "target": "us-central1-docker.pkg.dev/my-project/mirror",
 *     "pathMapping": { "docker.io/library": "hub" },
 *     "firstPartyRegistries": ["harbor.corp.example", "ghcr.io/my-org/**"],
 *     "ignoredImages": ["docker.io/library/busybox", "ghcr.io/acme/**"],
 *     "exclude": ["test/fixtures/**"]
 *   }
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const CONFIG_FILE_NAME = '.ar-migrate.json';

export interface ProjectConfig {
  target?: string;
  pathMapping?: Record<string, string>;
  firstPartyRegistries?: string[];
  ignoredImages?: string[];
  exclude?: string[];
}

function strings(v: unknown, field: string, file: string): string[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new Error(`${file}: "${field}" must be an array of strings`);
  return v as string[];
}

/** Validates a parsed config object; throws an Error naming the file and field. */
export function validateConfig(raw: unknown, file: string): ProjectConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new Error(`${file}: expected a JSON object`);
  const o = raw as Record<string, unknown>;
  const out: ProjectConfig = {};
  if (o.target !== undefined) {
    if (typeof o.target !== 'string') throw new Error(`${file}: "target" must be a string`);
    out.target = o.target;
  }
  if (o.pathMapping !== undefined) {
    const pm = o.pathMapping;
    if (pm === null || typeof pm !== 'object' || Array.isArray(pm) || Object.values(pm).some((x) => typeof x !== 'string')) {
      throw new Error(`${file}: "pathMapping" must be an object of strings`);
    }
    out.pathMapping = pm as Record<string, string>;
  }
  out.firstPartyRegistries = strings(o.firstPartyRegistries, 'firstPartyRegistries', file);
  out.ignoredImages = strings(o.ignoredImages, 'ignoredImages', file);
  out.exclude = strings(o.exclude, 'exclude', file);
  return out;
}

/** Reads a config file; throws with the file name on bad JSON or shape. */
export function readConfigFile(file: string): ProjectConfig {
  const text = fs.readFileSync(file, 'utf8');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file}: invalid JSON: ${(err as Error).message}`);
  }
  return validateConfig(raw, file);
}

/** `.ar-migrate.json` in `dir` when present, else undefined. */
export function findConfig(dir: string): { file: string; config: ProjectConfig } | undefined {
  const file = path.join(dir, CONFIG_FILE_NAME);
  if (!fs.existsSync(file)) return undefined;
  return { file, config: readConfigFile(file) };
}

/**
 * The config for a scan: `explicit` (a path, resolved from cwd) when given, else
 * `.ar-migrate.json` in the first directory among `roots`, else in `cwd`, else {}.
 * Throws an Error naming the file when it is missing (explicit) or invalid.
 */
export function loadProjectConfig(explicit: string | undefined, roots: readonly string[], cwd: string): ProjectConfig {
  if (explicit) {
    const file = path.resolve(cwd, explicit);
    if (!fs.existsSync(file)) throw new Error(`config file ${explicit} not found`);
    return readConfigFile(file);
  }
  const firstDir = roots.find((r) => {
    try {
      return fs.statSync(r).isDirectory();
    } catch {
      return false;
    }
  });
  for (const d of firstDir ? [firstDir, cwd] : [cwd]) {
    const found = findConfig(d);
    if (found) return found.config;
  }
  return {};
}
