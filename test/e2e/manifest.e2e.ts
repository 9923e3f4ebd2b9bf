/**
 * Fast checks of the extension manifest against the client code (no VS Code
 * needed): activation events match the document selector, every command is
 * contributed with the "AR Migrate" category, settings are documented and scoped.
 */
import * as assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { activationEvents, documentSelector, DOCKERFILE_NAME_GLOBS } from '../../client/src/selectors';
import { ClientCommands } from '../../client/src/protocol';
import { TARGET_PATTERN, validateTarget } from '../../client/src/target';
import { globToRegExp } from '../../server/src/references/policy';

const REPO = path.resolve(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));

describe('e2e: extension manifest', () => {
  it('activates on exactly the languages and files the client selects', () => {
    assert.deepEqual([...pkg.activationEvents].sort(), activationEvents().sort());
    const langs = new Set(documentSelector().flatMap((f) => (f.language ? [f.language] : [])));
    for (const l of langs) assert.ok(pkg.activationEvents.includes(`onLanguage:${l}`), `onLanguage:${l}`);
  });

  it('selects every Dockerfile naming convention', () => {
    const names = ['Dockerfile', 'Dockerfile.prod', 'api.Dockerfile', 'api.dockerfile', 'Containerfile', 'Containerfile.dev', 'dockerfile'];
    for (const n of names) assert.ok(DOCKERFILE_NAME_GLOBS.some((g) => globToRegExp(g).test(n)), n);
    for (const n of ['Dockerfilex', 'README.md', 'values.yaml']) {
      assert.ok(!DOCKERFILE_NAME_GLOBS.some((g) => globToRegExp(g).test(n)), n);
    }
  });

  it('contributes every client command under the "AR Migrate" category', () => {
    const contributed = new Map<string, { category?: string; title: string }>(pkg.contributes.commands.map((c: { command: string }) => [c.command, c]));
    for (const id of Object.values(ClientCommands)) {
      const c = contributed.get(id);
      assert.ok(c, `${id} is contributed`);
      assert.equal(c.category, 'AR Migrate', id);
    }
    const titles = [...contributed.values()].map((c) => c.title);
    for (const t of ['Migrate workspace…', 'Mirror image…', 'Refresh pull counts', 'Configure target…', 'Show migration report', 'Show log']) assert.ok(titles.includes(t), t);
  });

  it('documents and scopes every setting', () => {
    const props: Record<string, { scope?: string; markdownDescription?: string; description?: string; pattern?: string }> = pkg.contributes.configuration.properties;
    for (const [k, v] of Object.entries(props)) {
      assert.ok(k.startsWith('arMigrate.'), k);
      assert.ok(v.scope, `${k} has a scope`);
      assert.ok((v.markdownDescription ?? v.description ?? '').length > 20, `${k} is documented`);
    }
    assert.equal(props['arMigrate.insecureRegistries'].scope, 'machine');
    for (const k of ['arMigrate.target', 'arMigrate.pathMapping', 'arMigrate.firstPartyRegistries', 'arMigrate.ignoredImages', 'arMigrate.pullCounts.source', 'arMigrate.pullCounts.logFile', 'arMigrate.pullCounts.bigquery.dataset', 'arMigrate.pullCounts.bigquery.billingProject', 'arMigrate.pullCounts.bigquery.location', 'arMigrate.pullCounts.bigquery.tablePrefix', 'arMigrate.pullCounts.bigquery.partitioned', 'arMigrate.pullCounts.windowDays', 'arMigrate.pullCounts.maxAge', 'arMigrate.annotations', 'arMigrate.concurrency', 'arMigrate.trace.server', 'arMigrate.severity.thirdPartyImage', 'arMigrate.severity.invalidImageReference']) {
      assert.ok(props[k], `${k} is contributed`);
    }
    assert.equal(props['arMigrate.target'].pattern, TARGET_PATTERN);
  });

  it('validates the target like the settings schema', () => {
    const re = new RegExp(TARGET_PATTERN);
    for (const ok of ['', 'us-central1-docker.pkg.dev/my-project/mirror', 'europe-docker.pkg.dev/my-project/mirror/team-a', 'us-docker.pkg.dev/example.com/my-project/repo']) {
      assert.equal(validateTarget(ok), undefined, ok);
      assert.ok(re.test(ok), ok);
    }
    for (const bad of ['docker.io/library/nginx', 'us-central1-docker.pkg.dev/my-project', 'us-central1-docker.pkg.dev/My-Project/mirror', 'https://us-central1-docker.pkg.dev/p-roject/r', 'us-central1-docker.pkg.dev/my-project/mirror:1.0']) {
      assert.ok(validateTarget(bad), bad);
    }
  });

  it('has a walkthrough whose media exist and whose steps complete on real events', () => {
    const [w] = pkg.contributes.walkthroughs;
    assert.equal(w.steps.length, 4);
    for (const step of w.steps) {
      assert.ok(fs.existsSync(path.join(REPO, step.media.markdown)), step.media.markdown);
      assert.ok(step.completionEvents.length > 0, step.id);
      for (const m of step.description.matchAll(/\(command:([a-zA-Z.]+)/g)) {
        if (m[1].startsWith('arMigrate.')) assert.ok(pkg.contributes.commands.some((c: { command: string }) => c.command === m[1]), `${step.id} links to contributed ${m[1]}`);
      }
    }
  });

  it('declares limited support for untrusted workspaces and a lean package', () => {
    assert.equal(pkg.capabilities.untrustedWorkspaces.supported, 'limited');
    assert.equal(pkg.icon, 'media/icon.png');
    assert.ok(fs.existsSync(path.join(REPO, 'media', 'icon.png')));
    const png = fs.readFileSync(path.join(REPO, 'media', 'icon.png'));
    assert.equal(png.readUInt32BE(16), 128, 'icon width');
    assert.equal(png.readUInt32BE(20), 128, 'icon height');
    const ignore = fs.readFileSync(path.join(REPO, '.vscodeignore'), 'utf8');
    assert.match(ignore, /^\*\*$/m);
    assert.ok(!pkg.dependencies['code-server'] && !pkg.devDependencies?.['code-server'], 'code-server is not an extension dependency');
  });
});
