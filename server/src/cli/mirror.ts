/**
 * `ar-migrate mirror SRC DST [--platform os/arch]... [--jobs N] [--json] [--insecure-registry HOST]...`
 * `ar-migrate mirror --from-file images.txt --target BASE [...]`
 *
 * Copies images registry to registry. Progress for a person goes to stderr;
 * stdout carries only the results (text, or JSON with --json). Exit 0 when
 * every copy succeeded, 1 when any failed, 2 on a usage error.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseNormalized } from '../references/reference';
import { copyImages, CopyOutcome, ProgressEvent } from '../registry/copy';
import { DockerConfigStore } from '../registry/credentials';
import { describeRateLimit } from '../registry/ratelimit';
import { parseTargetBase, ParseResult, TargetBase, urlScheme, userinfoEnd, withoutCredentials } from '../references/target';
import { redact } from '../redact';
import { mapToTarget } from '../registry/target';
import { CliIO, UsageError } from './io';

const HELP = `Usage:
  ar-migrate mirror SRC DST [options]
  ar-migrate mirror --from-file images.txt --target BASE [options]

Copies container images registry to registry (all platforms by default, so the
target digest equals the source digest). Credentials come from docker's
config.json and credential helpers; Artifact Registry and gcr.io also use
Google Application Default Credentials or gcloud.

Options:
  --platform OS/ARCH[/VARIANT]  copy only this platform (repeatable); the target digest then changes
  --jobs N                      concurrent blob transfers per registry host (default 6)
  --image-jobs N                images copied in parallel (default 4)
  --json                        print result objects as JSON on stdout
  --insecure-registry HOST      allow plain HTTP to HOST[:PORT] (repeatable; loopback always allowed)
  --from-file FILE              one source image a line (# comments); optional second column = target
  --target BASE                 target base for --from-file, e.g. us-docker.pkg.dev/PROJECT/REPO:
                                nginx -> BASE/nginx, bitnami/redis -> BASE/bitnami/redis,
                                quay.io/x/y -> BASE/quay.io/x/y (tags and digests kept)
  --copy-signatures             also copy cosign .sig/.att/.sbom tags and OCI referrers
  --include-foreign-layers      also copy foreign (non-distributable) layers
  --pin-digest                  write no tag: the target is addressed by digest only
  --no-credential-helpers       never run docker-credential-* helpers or gcloud (untrusted workspace)
  --retries N                   retries of a failed request (default 4)
`;

interface Args {
  positional: string[];
  platforms: string[];
  insecure: string[];
  jobs?: number;
  imageJobs?: number;
  json: boolean;
  fromFile?: string;
  target?: string;
  copySignatures: boolean;
  includeForeign: boolean;
  pinDigest: boolean;
  noHelpers: boolean;
  retries?: number;
  help: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { positional: [], platforms: [], insecure: [], json: false, copySignatures: false, includeForeign: false, pinDigest: false, noHelpers: false, help: false };
  const int = (name: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (v === undefined || !Number.isInteger(n) || n < min) throw new UsageError(`${name} needs an integer >= ${min}, got ${v === undefined ? 'nothing' : `"${v}"`}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let inline: string | undefined;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) {
      inline = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const value = () => {
      if (inline !== undefined) return inline;
      const v = argv[++i];
      if (v === undefined || (v.startsWith('--') && v.length > 2)) throw new UsageError(`${arg} needs a value`);
      return v;
    };
    switch (arg) {
      case '-h':
      case '--help': a.help = true; break;
      case '--platform': a.platforms.push(...value().split(',').map((s) => s.trim()).filter(Boolean)); break;
      case '--insecure-registry': a.insecure.push(value()); break;
      case '--jobs':
      case '-j': a.jobs = int(arg, value(), 1); break;
      case '--image-jobs': a.imageJobs = int(arg, value(), 1); break;
      case '--retries': a.retries = int(arg, value(), 0); break;
      case '--json': a.json = true; break;
      case '--from-file':
      case '-f': a.fromFile = value(); break;
      case '--target': a.target = value(); break;
      case '--copy-signatures': a.copySignatures = true; break;
      case '--include-foreign-layers': a.includeForeign = true; break;
      case '--pin-digest': a.pinDigest = true; break;
      case '--no-credential-helpers':
      case '--untrusted': a.noHelpers = true; break;
      case '--all-platforms': break;
      default:
        if (arg.startsWith('-') && arg !== '-') throw new UsageError(`unknown option ${arg}\n\n${HELP}`);
        a.positional.push(argv[i]);
    }
  }
  return a;
}

function mib(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1 << 20) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1 << 30) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  return `${(n / (1 << 30)).toFixed(2)} GiB`;
}

interface Pair {
  src: string;
  dst: string;
}

/**
 * Why `text` is not an image reference, in words: the common mistakes (a URL,
 * credentials in the name) first, else the grammar's own reason.
 * Undefined when it is a valid reference.
 */
export function invalidImageReason(text: string): string | undefined {
  const r = parseNormalized(text);
  if (r.ok) return undefined;
  if (userinfoEnd(text) >= 0) return 'it contains credentials (USER:PASSWORD@): registry credentials come from docker login / the Docker config, never from the image name';
  const scheme = urlScheme(text);
  if (scheme) return `it is a URL (${scheme}): give REGISTRY/REPOSITORY[:TAG] without a scheme, e.g. docker.io/library/nginx:1.27`;
  // the grammar's message repeats the text ("invalid reference "X": ..."): keep its reason only
  return redact(r.error.replace(/^invalid reference "(?:[^"\\]|\\.)*": /, '').replace(/^invalid reference: /, ''));
}

/** `invalid WHAT "TEXT": WHY` for an invalid reference, without credentials; undefined when valid. */
function invalidImage(what: string, text: string): string | undefined {
  const why = invalidImageReason(text);
  return why === undefined ? undefined : `invalid ${what} "${withoutCredentials(text)}": ${why}`;
}

/** Reads `--from-file`: one image a line, `#` comments, optional explicit target as a second column. */
export function readImageList(text: string, file: string, base: ParseResult<TargetBase> & { ok: true }): { pairs: Pair[]; errors: string[] } {
  const pairs: Pair[] = [];
  const errors: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (!line) return;
    const [src, explicit, ...extra] = line.split(/\s+/);
    if (extra.length) {
      errors.push(`${file}:${i + 1}: expected "IMAGE [TARGET]", got ${extra.length + 2} words: "${line.split(/\s+/).map(withoutCredentials).join(' ')}"`);
      return;
    }
    const r = parseNormalized(src);
    if (!r.ok) {
      errors.push(`${file}:${i + 1}: ${invalidImage('image reference', src)}`);
      return;
    }
    const badTarget = explicit !== undefined ? invalidImage('target', explicit) : undefined;
    if (badTarget) {
      errors.push(`${file}:${i + 1}: ${badTarget}`);
      return;
    }
    pairs.push({ src, dst: explicit ?? mapToTarget(r.value, base.value) });
  });
  return { pairs, errors };
}

export async function run(argv: string[], io: CliIO): Promise<number> {
  const args = parseArgs(argv);
  if (args.help) {
    io.stdout.write(HELP);
    return 0;
  }
  let pairs: Pair[] = [];
  const inputErrors: string[] = [];
  const batch = args.fromFile !== undefined;
  if (batch) {
    if (!args.target) throw new UsageError('--from-file needs --target BASE (e.g. us-docker.pkg.dev/my-project/mirror)');
    if (args.positional.length) throw new UsageError('give either SRC DST or --from-file, not both');
    const base = parseTargetBase(args.target, { allowOtherRegistries: true });
    if (!base.ok) throw new UsageError(base.error);
    const file = path.resolve(io.cwd, args.fromFile!);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why =
        code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (code ?? (e as Error).message);
      throw new UsageError(`cannot read --from-file ${args.fromFile}: ${why}`);
    }
    const list = readImageList(text, args.fromFile!, base);
    pairs = list.pairs;
    inputErrors.push(...list.errors);
    if (pairs.length === 0 && inputErrors.length === 0) {
      io.stderr.write(`ar-migrate mirror: ${args.fromFile} lists no images\n`);
      return 0;
    }
  } else {
    if (args.positional.length !== 2) throw new UsageError(`expected SRC and DST (got ${args.positional.length} arguments)\n\n${HELP}`);
    if (args.target) throw new UsageError('--target is used with --from-file');
    const [src, dst] = args.positional;
    const bad = invalidImage('source image', src) ?? invalidImage('destination', dst);
    if (bad) throw new UsageError(`${bad}\n(SRC and DST are image references such as docker.io/library/nginx:1.27 and us-docker.pkg.dev/my-project/mirror/nginx)`);
    pairs = [{ src, dst }];
  }
  for (const e of inputErrors) io.stderr.write(`ar-migrate mirror: ${e}\n`);

  const err = io.stderr;
  const started = new Map<string, number>();
  const retryCauses = new Map<string, string>();
  // bytes streamed per image, reported every few seconds while large blobs move
  const moving = new Map<string, Map<string, { bytes: number; size: number }>>();
  const reportEvery = io.isTTY ? 2000 : 10_000;
  let lastReport = Date.now();
  const reportProgress = () => {
    const now = Date.now();
    if (now - lastReport < reportEvery) return;
    lastReport = now;
    for (const [source, blobs] of moving) {
      if (blobs.size === 0) continue;
      let bytes = 0;
      let size = 0;
      for (const b of blobs.values()) {
        bytes += b.bytes;
        size += b.size;
      }
      err.write(`  ${source}: ${mib(bytes)} of ${mib(size)} in ${blobs.size} blob(s) moving\n`);
    }
  };
  const onProgress = (e: ProgressEvent) => {
    switch (e.type) {
      case 'image-start':
        started.set(e.source, Date.now());
        err.write(`${e.source} -> ${e.target}\n`);
        break;
      case 'resolved':
        if (e.upToDate) err.write(`  ${e.source}: already mirrored (${e.digest.slice(0, 19)})\n`);
        break;
      case 'blob-start':
        if (!moving.has(e.source)) moving.set(e.source, new Map());
        moving.get(e.source)!.set(e.digest, { bytes: 0, size: e.size });
        break;
      case 'blob-progress': {
        const b = moving.get(e.source)?.get(e.digest);
        if (b) b.bytes = e.bytes;
        reportProgress();
        break;
      }
      case 'blob-done':
        moving.get(e.source)?.delete(e.digest);
        if (e.action === 'copied') err.write(`  ${e.source}: blob ${e.digest.slice(7, 19)} ${mib(e.size)} copied\n`);
        else if (e.action === 'mounted') err.write(`  ${e.source}: blob ${e.digest.slice(7, 19)} mounted\n`);
        else if (e.action === 'foreign') err.write(`  ${e.source}: foreign layer ${e.digest.slice(7, 19)} left at its URLs\n`);
        break;
      case 'manifest':
        if (e.action === 'pushed' && e.platform) err.write(`  ${e.source}: ${e.platform} manifest pushed\n`);
        break;
      case 'retry': {
        // The cause once per request; the final error, if it comes to that, is printed once by image-error.
        const key = `${e.registry}\0${e.what}`;
        const cause = e.reason.startsWith(`${e.what}: `) ? e.reason.slice(e.what.length + 2) : e.reason;
        const same = retryCauses.get(key) === cause;
        retryCauses.set(key, cause);
        err.write(`  retry ${e.attempt} in ${(e.delayMs / 1000).toFixed(1)}s: ${e.what}${same ? ' (same error)' : `: ${cause}`}\n`);
        break;
      }
      case 'image-done': {
        const r = e.result;
        const secs = ((Date.now() - (started.get(e.source) ?? Date.now())) / 1000).toFixed(1);
        err.write(`  ${e.source}: done in ${secs}s, ${mib(r.bytesMoved)} in ${r.blobsCopied} blobs, ${r.blobsSkipped} present, ${r.blobsMounted} mounted\n`);
        for (const w of r.warnings) err.write(`  warning: ${w}\n`);
        break;
      }
      case 'image-error': {
        // once per image; the message often starts with the image name already
        const m = e.error.message;
        err.write(`  ${e.source}: FAILED: ${m.startsWith(`${e.source}: `) ? m.slice(e.source.length + 2) : m}\n`);
        break;
      }
    }
  };

  const outcomes: CopyOutcome[] = await copyImages(pairs, {
    platforms: args.platforms.length ? args.platforms : undefined,
    signal: io.signal,
    onProgress,
    jobsPerHost: args.jobs,
    imageJobs: args.imageJobs,
    insecureRegistries: args.insecure,
    credentials: new DockerConfigStore({ env: io.env, allowHelpers: !args.noHelpers }),
    includeForeignLayers: args.includeForeign,
    copySignatures: args.copySignatures,
    pinDigest: args.pinDigest,
    retry: args.retries !== undefined ? { retries: args.retries } : undefined,
  });

  const flat = outcomes.map((o) => (o.ok ? { ok: true, ...o.result } : { source: o.source, target: o.target, ok: false, error: o.error }));
  if (args.json) {
    io.stdout.write(JSON.stringify(batch ? flat : flat[0], null, 2) + '\n');
  } else {
    for (const o of outcomes) {
      if (o.ok) {
        const r = o.result;
        const how = r.upToDate ? 'already up to date' : `${mib(r.bytesMoved)} copied, ${r.blobsSkipped + r.blobsMounted} blobs reused`;
        io.stdout.write(`${r.source} -> ${r.target.includes('@') ? r.target : `${r.target}@${r.targetDigest}`} (${how}${r.digestChanged ? `; digest changed: ${r.platforms.join(', ')} only` : ''})\n`);
      } else {
        io.stdout.write(`${o.source} -> ${o.target} FAILED: ${o.error.message}\n`);
      }
    }
  }
  const rl = outcomes.find((o) => o.ok && o.result.rateLimit);
  if (rl && rl.ok && rl.result.rateLimit) err.write(`rate limit of ${rl.result.rateLimit.registry}: ${describeRateLimit(rl.result.rateLimit)}\n`);
  const failed = outcomes.filter((o) => !o.ok).length + inputErrors.length;
  if (io.signal.aborted) return 130;
  if (failed) err.write(`${failed} of ${pairs.length + inputErrors.length} image(s) failed\n`);
  return failed ? 1 : 0;
}
