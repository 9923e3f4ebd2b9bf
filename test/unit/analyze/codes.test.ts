import assert from 'node:assert/strict';
import { analyze, CODES, errorCode, findingCode, findingMessage, isActionable, registryLabel } from '../../../server/src/analyze';
import { Policy } from '../../../server/src/references/policy';
import { refIn } from '../edits/helpers';

describe('analyze: codes and messages', () => {
  it('messages name the normalised image and its registry', () => {
    const doc = 'image: nginx:1.27\nimage: ghcr.io/a/b:1\nimage: gcr.io/p/x\nimage: Bad:Ref\n';
    const [hub, ghcr, gcr, bad] = analyze(
      [refIn(doc, 'nginx:1.27', 'k8s'), refIn(doc, 'ghcr.io/a/b:1', 'k8s'), refIn(doc, 'gcr.io/p/x', 'k8s'), refIn(doc, 'Bad:Ref', 'k8s')],
      new Policy(),
      doc,
    );
    assert.equal(findingMessage(hub), 'Third-party image docker.io/library/nginx:1.27 from docker.io (Docker Hub): not in Artifact Registry');
    assert.match(findingMessage(ghcr), /ghcr\.io\/a\/b:1 from ghcr\.io \(GitHub Container Registry\)/);
    assert.equal(findingCode(hub), CODES.thirdParty);
    assert.equal(findingCode(gcr), undefined);
    assert.match(findingMessage(gcr), /^First-party image gcr\.io\/p\/x:latest/);
    assert.equal(findingCode(bad), CODES.invalid);
    assert.match(findingMessage(bad), /^Invalid image reference "Bad:Ref": /);
    assert.deepEqual([hub, ghcr, gcr, bad].map(isActionable), [true, true, false, false]);
    assert.equal(registryLabel('registry.example.com:5000'), 'registry.example.com:5000');
  });
  it('build outputs are not actionable', () => {
    const doc = 'services:\n  app:\n    build: .\n    image: acme/app:dev\n';
    const [f] = analyze([refIn(doc, 'acme/app:dev', 'compose', { pulled: false })], new Policy(), doc);
    assert.equal(f.thirdParty, true);
    assert.equal(isActionable(f), false);
    assert.match(findingMessage(f), /built here, not pulled/);
  });
  it('error codes: YAML syntax vs guards vs other', () => {
    assert.equal(errorCode({ message: 'invalid YAML, document skipped: bad indentation' }, 'yaml'), CODES.yamlParse);
    assert.equal(errorCode({ message: 'YAML nesting too deep to scan' }, 'yaml'), CODES.extract);
    assert.equal(errorCode({ message: 'file too large to scan (3000000 characters, limit 2000000)' }, 'yaml'), CODES.extract);
    assert.equal(errorCode({ message: 'unterminated heredoc' }, 'dockerfile'), CODES.extract);
    assert.equal(errorCode({ message: 'whatever', code: CODES.yamlParse }), CODES.yamlParse);
  });
});
