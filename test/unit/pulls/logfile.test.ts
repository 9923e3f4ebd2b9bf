import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { JsonEntryTokenizer } from '../../../server/src/pulls/jsonStream';
import { countPullsFromLogFile, interpretEntry } from '../../../server/src/pulls/logfile';
import { windowFor } from '../../../server/src/pulls/counts';
import { PullError } from '../../../server/src/pulls/errors';

const FIX = path.join(__dirname, '../../fixtures/pulls');
const NOW = new Date('2026-11-25T00:00:00Z');
const WINDOW = windowFor(NOW, 7);

function tokenize(chunks: string[]) {
  const entries: { text: string; line: number }[] = [];
  const errors: { line: number; message: string }[] = [];
  const t = new JsonEntryTokenizer({ entry: (text, line) => entries.push({ text, line }), error: (line, message) => errors.push({ line, message }) });
  for (const c of chunks) t.write(c);
  t.end();
  return { entries, errors, t };
}

/** Splits a string into chunks of n characters (to exercise chunk boundaries). */
function split(s: string, n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < s.length; i += n) out.push(s.slice(i, i + n));
  return out;
}

describe('pulls/jsonStream tokenizer', () => {
  it('splits a pretty-printed array into entries, at any chunk boundary', () => {
    const text = fs.readFileSync(path.join(FIX, 'gcloud-events.json'), 'utf8');
    const whole = tokenize([text]);
    assert.equal(whole.errors.length, 0);
    assert.equal(whole.entries.length, 6);
    assert.equal(whole.entries[0].line, 2);
    for (const n of [1, 2, 3, 7, 64, 1000]) {
      const r = tokenize(split(text, n));
      assert.deepEqual(r.entries, whole.entries, `chunk size ${n}`);
      assert.equal(r.errors.length, 0);
    }
    for (const e of whole.entries) JSON.parse(e.text);
  });

  it('handles braces, brackets and escaped quotes inside strings', () => {
    const text = '[{"a":"x}]{[\\"\\\\"},{"b":[1,{"c":"]"}]}]';
    for (const n of [1, 3, 100]) {
      const r = tokenize(split(text, n));
      assert.deepEqual(
        r.entries.map((e) => JSON.parse(e.text)),
        [{ a: 'x}]{["\\' }, { b: [1, { c: ']' }] }],
      );
      assert.equal(r.errors.length, 0);
    }
  });

  it('reports a truncated array with the line of the unfinished entry', () => {
    const text = fs.readFileSync(path.join(FIX, 'truncated.json'), 'utf8');
    const r = tokenize(split(text, 5));
    assert.equal(r.entries.length, 2);
    assert.equal(r.errors.length, 1);
    assert.match(r.errors[0].message, /unterminated string in the entry that starts at line 12|file ends inside the entry that starts at line 12/);
  });

  it('reports an array whose closing bracket is missing', () => {
    const r = tokenize(['[{"a":1},\n{"b":2}\n']);
    assert.equal(r.entries.length, 2);
    assert.equal(r.errors.length, 1);
    assert.match(r.errors[0].message, /closing "\]"/);
  });

  it('resynchronises after a broken entry and keeps counting', () => {
    const text = fs.readFileSync(path.join(FIX, 'malformed.json'), 'utf8');
    const r = tokenize(split(text, 13));
    // entry 2 is broken by an unbalanced quote (skipped), entry 3 is delimited but not valid JSON
    assert.deepEqual(r.errors.map((e) => e.line), [7]);
    assert.equal(r.entries.length, 4);
    assert.deepEqual(r.entries.map((e) => e.line), [2, 10, 14, 18]);
  });

  it('reads newline-delimited JSON, skipping blank lines, and flags a half-written last line', () => {
    const r = tokenize(['{"a":1}\n\n{"b"', ':2}\r\n{"c":']);
    assert.deepEqual(r.entries.map((e) => [JSON.parse(e.text), e.line]), [[{ a: 1 }, 1], [{ b: 2 }, 3]]);
    assert.equal(r.errors.length, 1);
    assert.equal(r.errors[0].line, 4);
    assert.match(r.errors[0].message, /incomplete/);
  });
});

describe('pulls/logfile interpretEntry', () => {
  it('accepts Pulling events in either message spelling and ignores other reasons', () => {
    const ok = interpretEntry({ timestamp: '2026-11-24T10:00:00Z', jsonPayload: { reason: 'Pulling', message: 'pulling image "nginx"' }, resource: { labels: { cluster_name: 'c' } } });
    assert.deepEqual(ok, { kind: 'pull', event: { image: 'nginx', timeMs: Date.parse('2026-11-24T10:00:00Z'), cluster: 'c' } });
    assert.equal(interpretEntry({ timestamp: 'x', jsonPayload: { reason: 'Pulled', message: 'Successfully pulled image "nginx"' } }).kind, 'other');
    assert.equal(interpretEntry({ jsonPayload: { reason: 'Pulling', message: 'Pulling image "nginx"' } }).kind, 'invalid');
    // receiveTimestamp is the fallback
    const r = interpretEntry({ receiveTimestamp: '2026-11-24T10:00:00Z', jsonPayload: { reason: 'Pulling', message: 'Pulling image "a:1"' } });
    assert.equal(r.kind, 'pull');
    // a bare Kubernetes Event (kubectl get events -o json items)
    const k = interpretEntry({ reason: 'Pulling', message: 'Pulling image "busybox:1.36"', lastTimestamp: '2026-11-24T09:00:00Z' });
    assert.equal(k.kind, 'pull');
  });
});

describe('pulls/logfile countPullsFromLogFile', () => {
  it('counts the gcloud JSON array, normalising spellings, with window, clusters and peaks', async () => {
    const c = await countPullsFromLogFile(path.join(FIX, 'gcloud-events.json'), { window: WINDOW });
    const nginx = c.images['docker.io/library/nginx:1.14.2'];
    assert.ok(nginx);
    assert.equal(nginx.pulls, 2);
    assert.equal(nginx.peakPerHour, 2);
    assert.equal(nginx.peakHour, '2026-11-24T10:00:00.000Z');
    assert.deepEqual(nginx.clusters, { prod: 1, staging: 1 });
    assert.equal(nginx.firstSeen, '2026-11-24T10:15:01.000Z');
    assert.equal(nginx.lastSeen, '2026-11-24T10:39:59.000Z');
    assert.equal(nginx.familiar, 'nginx:1.14.2');
    assert.equal(c.images['docker.io/library/nginx:latest'].pulls, 1); // the 2026-11-01 event is outside the window
    const repo = c.repositories['docker.io/library/nginx'];
    assert.equal(repo.pulls, 3);
    assert.deepEqual(repo.tags, { 'docker.io/library/nginx:1.14.2': 2, 'docker.io/library/nginx:latest': 1 });
    assert.equal(c.images['quay.io/prometheus/node-exporter:v1.8.0'].registry, 'quay.io');
    assert.equal(c.totalPulls, 4);
    assert.equal(c.source.kind, 'logFile');
    assert.equal(c.source.entriesRead, 6);
    assert.equal(c.source.pullEvents, 5);
    assert.equal(c.source.outsideWindow, 1);
    assert.equal(c.source.malformed, 0);
  });

  it('counts NDJSON exports', async () => {
    const c = await countPullsFromLogFile(path.join(FIX, 'events.ndjson'), { window: WINDOW });
    assert.equal(c.images['docker.io/library/redis:7'].pulls, 2);
    const digest = Object.values(c.images).find((s) => s.registry === 'ghcr.io');
    assert.equal(digest?.repository, 'ghcr.io/org/app');
    assert.deepEqual(digest?.clusters, { dev: 1 });
    assert.equal(c.totalPulls, 3);
  });

  it('counts what is readable in a half-written file and names the line', async () => {
    const c = await countPullsFromLogFile(path.join(FIX, 'truncated.json'), { window: WINDOW });
    assert.equal(c.images['docker.io/library/nginx:1.14.2'].pulls, 2);
    assert.equal(c.source.malformed, 1);
    assert.ok(c.warnings.some((w) => /truncated\.json:1[23]: .*(unterminated|ends inside)/.test(w)), c.warnings.join('\n'));
  });

  it('reports malformed entries by line and invalid image names, counting the rest', async () => {
    const c = await countPullsFromLogFile(path.join(FIX, 'malformed.json'), { window: WINDOW });
    assert.equal(c.images['docker.io/library/alpine:3.20'].pulls, 2);
    assert.ok(c.warnings.some((w) => /malformed\.json:7: unterminated string/.test(w)), c.warnings.join('\n'));
    assert.ok(c.warnings.some((w) => /malformed\.json:10: malformed entry/.test(w)), c.warnings.join('\n'));
    assert.ok(c.warnings.some((w) => /Not A Valid\/Ref/.test(w)), c.warnings.join('\n'));
  });

  it('reads gzip-compressed exports', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pulls-gz-'));
    try {
      const f = path.join(dir, 'events.json.gz');
      fs.writeFileSync(f, zlib.gzipSync(fs.readFileSync(path.join(FIX, 'gcloud-events.json'))));
      const c = await countPullsFromLogFile(f, { window: WINDOW });
      assert.equal(c.totalPulls, 4);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('throws a clear PullError for a missing file, a directory and a file with nothing readable', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pulls-bad-'));
    try {
      await assert.rejects(countPullsFromLogFile(path.join(dir, 'nope.json'), { window: WINDOW }), (e: any) => e instanceof PullError && e.code === 'file-unreadable' && /nope\.json: file not found/.test(e.message));
      await assert.rejects(countPullsFromLogFile(dir, { window: WINDOW }), (e: any) => e.code === 'file-unreadable' && /directory/.test(e.message));
      const junk = path.join(dir, 'junk.json');
      fs.writeFileSync(junk, 'hello world\nthis is not json\n');
      await assert.rejects(countPullsFromLogFile(junk, { window: WINDOW }), (e: any) => e.code === 'file-malformed' && /line 1/.test(e.message));
      const empty = path.join(dir, 'empty.json');
      fs.writeFileSync(empty, '');
      const c = await countPullsFromLogFile(empty, { window: WINDOW });
      assert.equal(c.totalPulls, 0);
      assert.ok(c.warnings.some((w) => /no log entries/.test(w)));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops with a cancelled error when the signal is aborted', async () => {
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(countPullsFromLogFile(path.join(FIX, 'gcloud-events.json'), { window: WINDOW, signal: ac.signal }), (e: any) => e.code === 'cancelled');
  });

  it('warns when every event is outside the window', async () => {
    const c = await countPullsFromLogFile(path.join(FIX, 'events.ndjson'), { window: windowFor(new Date('2027-06-01T00:00:00Z'), 7) });
    assert.equal(c.totalPulls, 0);
    assert.ok(c.warnings.some((w) => /all 3 Pulling events are outside the 7-day window/.test(w)), c.warnings.join('\n'));
  });
});
