/**
 * Client-side check of an Artifact Registry target base, for the input box of
 * "Configure target…" (the server validates again and owns the mapping).
 */

import { parseTargetBase } from '../../server/src/references/target';

/** Same rule as the `arMigrate.target` schema pattern in package.json. */
export const TARGET_PATTERN =
  '^$|^[a-z][a-z0-9-]*[a-z0-9]-docker\\.pkg\\.dev/([a-z][a-z0-9.-]*[a-z0-9]/)?[a-z][a-z0-9-]{4,28}[a-z0-9]/[a-z]([a-z0-9-]{0,61}[a-z0-9])?(/[a-z0-9]+([._-][a-z0-9]+)*)*$';

const EXAMPLE = 'us-central1-docker.pkg.dev/my-project/mirror';

/**
 * Undefined when valid (or empty); else a message naming the wrong part. The
 * server's parser (server/src/references/target.ts, pure code) decides and
 * words the message, so the input box and the server never disagree; the
 * schema pattern above is checked last so saved settings also pass VS Code's
 * own validation.
 */
export function validateTarget(input: string): string | undefined {
  const s = input.trim();
  if (s === '') return undefined;
  const parsed = parseTargetBase(s);
  if (!parsed.ok) return parsed.error;
  if (!new RegExp(TARGET_PATTERN).test(s.replace(/\/+$/, ''))) {
    return `Expected LOCATION-docker.pkg.dev/PROJECT/REPOSITORY[/PATH] with lowercase project (6-30 characters) and repository names, e.g. ${EXAMPLE}.`;
  }
  return undefined;
}
