/**
 * Removing credentials from text before it reaches a message, a log or a
 * report: the one redaction used by the registry client, pull counts, gcp and
 * the language server.
 */

/**
 * Removes secrets from text: Authorization header values, Bearer/Basic
 * credentials, token-like query parameters, user:password@ in URLs, JWTs,
 * secret-named JSON fields, Google OAuth access tokens (ya29.…), PEM
 * private key blocks and tokens with a well-known prefix (dckr_pat_, ghp_,
 * glpat-, AIza, AKIA, ...).
 */
export function redact(text: string): string {
  if (!text) return text;
  return text
    .replace(/-----BEGIN [A-Z ]+-----[\s\S]*?-----END [A-Z ]+-----/g, '[REDACTED-KEY]')
    .replace(/\b((?:proxy-)?authorization["']?\s*[:=]\s*["']?)(?:([A-Za-z]+)\s+)?[^\s"',}]+/gi, (_m, p1: string, scheme?: string) => `${p1}${scheme ? `${scheme} ` : ''}[REDACTED]`)
    .replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, '$1 [REDACTED]')
    .replace(/([?&](?:access_token|token|refresh_token|key|password|secret|sig|signature|X-Amz-Signature|X-Goog-Signature|X-Goog-Credential|X-Amz-Credential|X-Amz-Security-Token)=)[^&\s"']+/gi, '$1[REDACTED]')
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s:@]+:[^/\s@]+@/gi, '$1[REDACTED]@')
    .replace(/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, '[REDACTED-JWT]')
    .replace(/("(?:token|access_token|refresh_token|id_token|identitytoken|password|secret|client_secret|private_key|auth|Secret|Password|IdentityToken)"\s*:\s*")[^"]*"/g, '$1[REDACTED]"')
    .replace(/\bya29\.[A-Za-z0-9._-]+/g, 'ya29.[REDACTED]')
    .replace(TOKEN_PREFIX_RE, (_m, p1?: string, p2?: string) => `${p1 ?? p2}[REDACTED]`);
}

/**
 * Tokens recognisable by their prefix wherever they appear: Docker Hub
 * personal access tokens (dckr_pat_), GitHub (ghp_, gho_, ghu_, ghs_, ghr_,
 * github_pat_), GitLab (glpat-), Google API keys (AIza...), AWS access key IDs.
 */
const TOKEN_PREFIX_RE = /\b(dckr_pat_|dckr_oat_|gh[pousr]_|github_pat_|glpat-|AIza)[A-Za-z0-9_-]{16,}|\b(AKIA|ASIA)[A-Z0-9]{16}\b/g;

/**
 * For free-form log text (the language server's log, uncaught errors):
 * `redact`, plus any value written after a secret-named key
 * (`token: …`, `password=…`, `client_secret: "…"`).
 */
export function redactLog(text: string): string {
  return redact(text).replace(
    /\b(token|password|passwd|secret|access_token|refresh_token|client_secret)(["']?\s*[:=]\s*["']?)(?!\[REDACTED)[^\s"',}]+/gi,
    '$1$2[REDACTED]',
  );
}
