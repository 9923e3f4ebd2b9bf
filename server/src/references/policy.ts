/**
 * First-party policy: which registries count as Google's own (Artifact
 * Registry and Container Registry), plus user-configured extra registries and
 * ignored images. Host matching is exact: `gcr.io.example.com` is third-party.
 */
import { familiarName, NormalizedReference, registryHost } from './reference';

export interface PolicyOptions {
  /** Extra first-party registries: host globs (`harbor.corp.example`, `*.corp.example`),
   *  optionally with a repository path glob (`ghcr.io/my-org/**`). */
  firstPartyRegistries?: string[];
  /** Images to ignore entirely (globs over the normalised name, with or without tag). */
  ignoredImages?: string[];
}

/** The built-in rule: Artifact Registry (`docker.pkg.dev`, `*-docker.pkg.dev`) and gcr.io. */
export function isGoogleRegistry(registry: string): boolean {
  const host = registryHost(registry);
  return host === 'docker.pkg.dev' || host.endsWith('-docker.pkg.dev') || host === 'gcr.io' || host.endsWith('.gcr.io');
}

/**
 * Compiles a glob to a RegExp: `**` matches anything, `*` anything but `/`,
 * `?` one character other than `/`. Matching is case-insensitive for hosts.
 */
export function globToRegExp(glob: string, flags = ''): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') {
      if (glob[i + 1] === '*') {
        re += '.*';
        i++;
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, flags);
}

export class Policy {
  private readonly extra: { host: RegExp; path?: RegExp }[];
  private readonly ignored: RegExp[];
  /** What it was made from (plain data: a scan worker thread makes its own copy from it). */
  readonly options: PolicyOptions;

  constructor(options: PolicyOptions = {}) {
    this.options = { firstPartyRegistries: [...(options.firstPartyRegistries ?? [])], ignoredImages: [...(options.ignoredImages ?? [])] };
    this.extra = (options.firstPartyRegistries ?? [])
      .map((g) => g.trim().replace(/^[a-z]+:\/\//i, '').replace(/\/+$/, ''))
      .filter(Boolean)
      .map((g) => {
        const slash = g.indexOf('/');
        const hostGlob = slash >= 0 ? g.slice(0, slash) : g;
        const pathGlob = slash >= 0 ? g.slice(slash + 1) : undefined;
        return { host: globToRegExp(hostGlob.replace(/:\d+$/, ''), 'i'), path: pathGlob ? globToRegExp(pathGlob) : undefined };
      });
    this.ignored = (options.ignoredImages ?? []).map((g) => g.trim()).filter(Boolean).map((g) => globToRegExp(g));
  }

  isFirstParty(ref: Pick<NormalizedReference, 'registry' | 'repository'>): boolean {
    if (isGoogleRegistry(ref.registry)) return true;
    const host = registryHost(ref.registry);
    return this.extra.some((e) => e.host.test(host) && (!e.path || e.path.test(ref.repository)));
  }

  /** Whether an image matches the ignore list (by normalised or familiar name, with or without tag/digest). */
  isIgnored(ref: NormalizedReference): boolean {
    if (this.ignored.length === 0) return false;
    const familiar = familiarName(ref);
    const tagSuffix = ref.tag !== undefined ? `:${ref.tag}` : '';
    const candidates = [ref.name, ref.normalized, familiar, familiar + tagSuffix, ref.name + tagSuffix];
    return this.ignored.some((re) => candidates.some((c) => re.test(c)));
  }
}
