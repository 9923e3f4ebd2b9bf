/**
 * Client-side check of an Artifact Registry target base, for the input box of
 * "Configure target…" (the server validates again and owns the mapping).
 */

/** Same rule as the `arMigrate.target` schema pattern in package.json. */
export const TARGET_PATTERN =
  '^$|^[a-z][a-z0-9-]*[a-z0-9]-docker\\.pkg\\.dev/([a-z][a-z0-9.-]*[a-z0-9]/)?[a-z][a-z0-9-]{4,28}[a-z0-9]/[a-z]([a-z0-9-]{0,61}[a-z0-9])?(/[a-z0-9]+([._-][a-z0-9]+)*)*$';

const EXAMPLE = 'us-central1-docker.pkg.dev/my-project/mirror';

/** Undefined when valid (or empty); else a message naming the wrong part. */
export function validateTarget(input: string): string | undefined {
  const s = input.trim();
  if (s === '') return undefined;
  if (/\s/.test(s)) return 'The target contains whitespace.';
  if (/^[a-z]+:\/\//i.test(s)) return `Leave out the scheme: ${s.replace(/^[a-z]+:\/\//i, '')}`;
  if (/[:@]/.test(s)) return 'A target base has no tag, digest or port.';
  const parts = s.replace(/\/+$/, '').split('/');
  const m = /^(.+)-docker\.pkg\.dev$/.exec(parts[0]);
  if (!m) return `"${parts[0]}" is not an Artifact Registry Docker host (LOCATION-docker.pkg.dev, e.g. ${EXAMPLE}).`;
  if (!/^[a-z][a-z0-9-]*[a-z0-9]$/.test(m[1])) return `"${m[1]}" is not a valid location (e.g. us-central1, europe, asia-east1).`;
  if (parts.length < 3) return `Add the project and the repository: ${parts[0]}/PROJECT/REPOSITORY.`;
  if (!new RegExp(TARGET_PATTERN).test(s.replace(/\/+$/, ''))) {
    return `Expected LOCATION-docker.pkg.dev/PROJECT/REPOSITORY[/PATH] with lowercase project (6-30 characters) and repository names, e.g. ${EXAMPLE}.`;
  }
  return undefined;
}
