import assert from 'node:assert/strict';
import { actionable, analyze } from '../../../server/src/analyze';
import { Policy } from '../../../server/src/references/policy';
import { refIn } from '../edits/helpers';

describe('analyze', () => {
  const doc = [
    'FROM nginx:1.27 AS web',
    'FROM us-docker.pkg.dev/p/r/app:1',
    '# ar-migrate: ignore',
    'FROM redis:7',
    'FROM quay.io/org/tool:2 # ar-migrate: ignore',
    'FROM harbor.corp.example/base/java:21',
    'FROM Bad:Ref',
    'FROM ghcr.io/acme/x:1',
    '',
  ].join('\n');
  const refs = [
    refIn(doc, 'nginx:1.27', 'dockerfile-from'),
    refIn(doc, 'us-docker.pkg.dev/p/r/app:1', 'dockerfile-from'),
    refIn(doc, 'redis:7', 'dockerfile-from'),
    refIn(doc, 'quay.io/org/tool:2', 'dockerfile-from'),
    refIn(doc, 'harbor.corp.example/base/java:21', 'dockerfile-from'),
    refIn(doc, 'Bad:Ref', 'dockerfile-from'),
    refIn(doc, 'ghcr.io/acme/x:1', 'dockerfile-from'),
  ];

  it('classifies third-party by policy, normalises, honours ignore comments', () => {
    const f = analyze(refs, new Policy(), doc, 'dockerfile');
    assert.deepEqual(
      f.map((x) => [x.normalized, x.registry, x.thirdParty, x.ignored]),
      [
        ['docker.io/library/nginx:1.27', 'docker.io', true, false],
        ['us-docker.pkg.dev/p/r/app:1', 'us-docker.pkg.dev', false, false],
        ['docker.io/library/redis:7', 'docker.io', true, true],
        ['quay.io/org/tool:2', 'quay.io', true, true],
        ['harbor.corp.example/base/java:21', 'harbor.corp.example', true, false],
        [undefined, undefined, false, false],
        ['ghcr.io/acme/x:1', 'ghcr.io', true, false],
      ],
    );
    assert.ok(f[5].error);
    assert.deepEqual(actionable(f).map((x) => x.text), ['nginx:1.27', 'harbor.corp.example/base/java:21', 'ghcr.io/acme/x:1']);
  });
  it('applies firstPartyRegistries and ignoredImages', () => {
    const f = analyze(refs, new Policy({ firstPartyRegistries: ['*.corp.example'], ignoredImages: ['ghcr.io/acme/**'] }), doc);
    assert.equal(f[4].thirdParty, false);
    assert.equal(f[6].ignored, true);
    assert.deepEqual(actionable(f).map((x) => x.text), ['nginx:1.27']);
  });
  it('keeps the raw reference fields and is pure', () => {
    const before = JSON.stringify(refs);
    const f = analyze(refs, new Policy(), doc);
    assert.equal(JSON.stringify(refs), before);
    assert.deepEqual(f[0].range, refs[0].range);
    assert.equal(f[0].kind, 'dockerfile-from');
    assert.deepEqual(analyze([], new Policy(), ''), []);
  });
});
