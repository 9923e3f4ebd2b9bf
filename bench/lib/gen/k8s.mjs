// Deterministic multi-document Kubernetes manifest of realistic Deployments.
import { createRng } from '../rng.mjs';
import { pickImage } from './images.mjs';

const TEAMS = ['payments', 'search', 'checkout', 'identity', 'ledger', 'catalog', 'ingest', 'notify'];
const KINDS = ['api', 'worker', 'gateway', 'cron', 'indexer', 'proxy'];

/**
 * @param {{deployments?:number, seed?:number, flowRate?:number}} o  flowRate: share of documents written with flow mappings
 * @returns {{text:string, lines:number, documents:number,
 *   images:{doc:number, line:number, col:number, tagStart?:number, tagEnd?:number, text:string, thirdParty:boolean}[]}}
 *   line/col are 0-based; tagStart/tagEnd are columns of the tag (absent for digests).
 */
export function generateK8sManifest({ deployments = 2000, seed = 42, flowRate = 0.1 } = {}) {
  const rng = createRng(seed);
  const out = [];
  const images = [];
  const push = (s) => out.push(s);
  const addImage = (doc, indent, img) => {
    const prefix = `${indent}image: `;
    const quoted = rng.chance(0.15);
    const col = prefix.length + (quoted ? 1 : 0);
    push(prefix + (quoted ? `"${img.text}"` : img.text));
    const rec = { doc, line: out.length - 1, col, text: img.text, thirdParty: img.thirdParty };
    if (img.tag) {
      rec.tagStart = col + img.repo.length + 1;
      rec.tagEnd = rec.tagStart + img.tag.length;
    }
    images.push(rec);
  };
  for (let d = 0; d < deployments; d++) {
    const name = `${rng.pick(TEAMS)}-${rng.pick(KINDS)}-${String(d).padStart(4, '0')}`;
    const port = rng.pick([8080, 8443, 9090, 3000, 5000]);
    // Most manifests are block style (kubectl/Helm output); some hand-written ones use flow mappings.
    const flow = rng.chance(flowRate);
    /** a small mapping, block or flow style */
    const map = (indent, key, entries) => {
      if (flow) push(`${indent}${key}: {${entries.map(([k, v]) => `${k}: ${v}`).join(', ')}}`);
      else {
        push(`${indent}${key}:`);
        for (const [k, v] of entries) push(`${indent}  ${k}: ${v}`);
      }
    };
    if (d > 0 || rng.chance(0.5)) push('---');
    if (rng.chance(0.1)) push(`# ${name}: owned by team ${name.split('-')[0]}`);
    push('apiVersion: apps/v1');
    push('kind: Deployment');
    push('metadata:');
    push(`  name: ${name}`);
    map('  ', 'labels', [['app.kubernetes.io/name', name]]);
    push('spec:');
    push(`  replicas: ${rng.int(1, 6)}`);
    push('  selector:');
    map('    ', 'matchLabels', [['app.kubernetes.io/name', name]]);
    push('  template:');
    push('    metadata:');
    map('      ', 'labels', [['app.kubernetes.io/name', name]]);
    push('    spec:');
    if (rng.chance(0.1)) {
      push('      initContainers:');
      push('        - name: migrate');
      addImage(d, '          ', pickImage(rng));
      push(`          args: ["--migrate", "--timeout=${rng.int(10, 120)}s"]`);
    }
    push('      containers:');
    push('        - name: app');
    addImage(d, '          ', pickImage(rng));
    push('          ports:');
    push(`            - containerPort: ${port}`);
    if (rng.chance(0.5)) {
      push('          env:');
      if (flow) push(`            - {name: LOG_LEVEL, value: ${rng.pick(['info', 'debug', 'warn'])}}`);
      else {
        push('            - name: LOG_LEVEL');
        push(`              value: ${rng.pick(['info', 'debug', 'warn'])}`);
      }
    }
    if (rng.chance(0.7)) {
      push('          resources:');
      map('            ', 'limits', [['cpu', `${rng.pick([500, 1000])}m`], ['memory', `${rng.pick([256, 512, 1024])}Mi`]]);
    }
    if (rng.chance(0.4)) {
      push('          readinessProbe:');
      map('            ', 'httpGet', [['path', '/healthz'], ['port', port]]);
    }
    if (rng.chance(0.2)) {
      push('        - name: sidecar');
      addImage(d, '          ', pickImage(rng));
      push(`          args: ["--upstream=127.0.0.1:${port}"]`);
    }
  }
  const text = out.join('\n') + '\n';
  return { text, lines: out.length, documents: deployments, images };
}
