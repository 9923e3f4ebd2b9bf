/**
 * Registry authentication: WWW-Authenticate challenges (Bearer token flow and
 * Basic) and repository scopes.
 */

export interface Challenge {
  scheme: string; // lowercased: 'bearer' | 'basic' | ...
  params: Record<string, string>;
}

/**
 * Parses a WWW-Authenticate header (possibly several challenges):
 *   Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"
 */
export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  if (!header) return [];
  const text = Array.isArray(header) ? header.join(', ') : header;
  const out: Challenge[] = [];
  let i = 0;
  const n = text.length;
  const skipWs = () => {
    while (i < n && /[\s,]/.test(text[i])) i++;
  };
  while (i < n) {
    skipWs();
    const m = /^[A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*/.exec(text.slice(i));
    if (!m) break;
    const scheme = m[0].toLowerCase();
    i += m[0].length;
    const params: Record<string, string> = {};
    // params: key=value or key="quoted", separated by commas, until the next scheme token
    for (;;) {
      const save = i;
      while (i < n && /[\s,]/.test(text[i])) i++;
      const km = /^([A-Za-z0-9!#$%&'*+.^_`|~-]+)\s*=\s*/.exec(text.slice(i));
      if (!km) {
        i = save;
        break;
      }
      i += km[0].length;
      let value = '';
      if (text[i] === '"') {
        i++;
        while (i < n && text[i] !== '"') {
          if (text[i] === '\\' && i + 1 < n) i++;
          value += text[i++];
        }
        i++; // closing quote
      } else {
        const vm = /^[^,\s]*/.exec(text.slice(i))!;
        value = vm[0];
        i += vm[0].length;
      }
      params[km[1].toLowerCase()] = value;
    }
    out.push({ scheme, params });
    // skip to the next scheme
    while (i < n && /[\s,]/.test(text[i])) i++;
  }
  return out;
}

/** The challenge we will answer: Bearer preferred, then Basic. */
export function pickChallenge(challenges: Challenge[]): Challenge | undefined {
  return challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic');
}

export function pullScope(repository: string): string {
  return `repository:${repository}:pull`;
}

export function pushScope(repository: string): string {
  return `repository:${repository}:pull,push`;
}

/** Sorted, merged scope list (same resource with several actions merged). */
export function normalizeScopes(scopes: readonly string[]): string[] {
  const byResource = new Map<string, Set<string>>();
  for (const s of scopes) {
    if (!s) continue;
    const idx = s.lastIndexOf(':');
    if (idx < 0) {
      byResource.set(s, byResource.get(s) ?? new Set());
      continue;
    }
    const res = s.slice(0, idx);
    const actions = s.slice(idx + 1).split(',').filter(Boolean);
    const set = byResource.get(res) ?? new Set<string>();
    for (const a of actions) set.add(a);
    byResource.set(res, set);
  }
  return [...byResource.entries()]
    .map(([res, acts]) => (acts.size ? `${res}:${[...acts].sort().join(',')}` : res))
    .sort();
}

export function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}
