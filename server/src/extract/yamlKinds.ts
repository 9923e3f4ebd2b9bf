/**
 * Which YAML dialect a document is, and where its image references are:
 * Kubernetes objects (any kind, pod templates at any depth), Cloud Run /
 * Knative, Argo Workflows, Tekton, Skaffold verify, docker-compose, Cloud
 * Build, GitHub Actions (workflows and action.yml), GitLab CI, kustomize
 * `images:`, Helm values image blocks. Anything else yields nothing.
 */
import type { Alias, Document, Node, Pair, Scalar, YAMLMap, YAMLSeq } from 'yaml';
import type { Range, RawReference, ReferenceKind } from '../model';
import { lineOf, lineStarts, makeReference, substitute, TEMPLATE_MASK } from './common';

export interface YamlFileContext {
  /** Lowercased base name. */
  base: string;
  /** Lowercased path with forward slashes. */
  path: string;
  compose: boolean;
  cloudbuild: boolean;
  gitlab: boolean;
  githubWorkflow: boolean;
  githubAction: boolean;
  kustomization: boolean;
  helmValues: boolean;
  helmTemplate: boolean;
  circleci: boolean;
  bitbucket: boolean;
}

export function yamlFileContext(fileName: string): YamlFileContext {
  const path = (fileName.includes('\\') ? fileName.replace(/\\/g, '/') : fileName).toLowerCase();
  const base = path.slice(path.lastIndexOf('/') + 1);
  return {
    base,
    path,
    compose: base.includes('compose') && /(^|[-_.])(docker-)?compose([-_.].*)?\.ya?ml$/.test(base),
    cloudbuild: /cloudbuild/.test(base),
    gitlab: /gitlab-ci/.test(base),
    githubWorkflow: /(^|\/)\.github\/workflows\/[^/]+\.ya?ml$/.test(path),
    githubAction: /^action\.ya?ml$/.test(base),
    kustomization: /^kustomization\.ya?ml$/.test(base),
    helmValues: /values/.test(base),
    helmTemplate: /(^|\/)templates\//.test(path),
    circleci: /(^|\/)\.circleci\/[^/]+\.ya?ml$/.test(path),
    bitbucket: /^bitbucket-pipelines\.ya?ml$/.test(base),
  };
}

type YNode = Node | null | undefined;

// Node identity checks, the same test as the yaml library's isAlias/isMap/isScalar/isSeq (its
// nodes, and fastYaml's, carry a type tag under Symbol.for('yaml.node.type')). Local functions
// because, bundled as CommonJS, every call to an imported one goes through an interop getter,
// and these run for every node of every document.
const NODE_TYPE = Symbol.for('yaml.node.type');
const ALIAS = Symbol.for('yaml.alias');
const MAP = Symbol.for('yaml.map');
const SCALAR = Symbol.for('yaml.scalar');
const SEQ = Symbol.for('yaml.seq');
type Tagged = { [NODE_TYPE]?: symbol };
const isAlias = (node: unknown): node is Alias => !!node && typeof node === 'object' && (node as Tagged)[NODE_TYPE] === ALIAS;
const isMap = (node: unknown): node is YAMLMap => !!node && typeof node === 'object' && (node as Tagged)[NODE_TYPE] === MAP;
const isScalar = (node: unknown): node is Scalar => !!node && typeof node === 'object' && (node as Tagged)[NODE_TYPE] === SCALAR;
const isSeq = (node: unknown): node is YAMLSeq => !!node && typeof node === 'object' && (node as Tagged)[NODE_TYPE] === SEQ;

/** Emits references for one document; keeps one reference per source node. */
class Emitter {
  private starts: number[] | undefined;
  private byNode = new Map<Node, RawReference>();

  constructor(
    private readonly doc: Document | undefined,
    private readonly src: string,
    private readonly out: RawReference[],
  ) {}

  /** No library Document: the nodes come from fastYaml, which takes no anchors, aliases or merge keys. */
  get plainTree(): boolean {
    return this.doc === undefined;
  }

  resolve(node: unknown): YNode {
    let n = node as YNode;
    let guard = 0;
    while (n && isAlias(n) && this.doc && guard++ < 100) n = (n as Alias).resolve(this.doc) as YNode;
    return n && isAlias(n) ? undefined : n;
  }

  /** A scalar's value as a string when it is a plain or quoted (not block) scalar. */
  scalarString(node: unknown): string | undefined {
    const n = this.resolve(node);
    if (!n || !isScalar(n)) return undefined;
    const loc = this.scalarLoc(n);
    return loc?.value;
  }

  scalarLoc(n: Scalar): { start: number; end: number; value: string } | undefined {
    if (!n.range) return undefined;
    const [s, e] = n.range;
    switch (n.type) {
      case 'QUOTE_DOUBLE':
      case 'QUOTE_SINGLE':
        if (n.value === null || n.value === undefined) return undefined;
        return { start: s + 1, end: e - 1, value: String(n.value) };
      case 'PLAIN': {
        if (e <= s || n.value === null || n.value === undefined) return undefined; // ~, null, empty
        const raw = this.src.slice(s, e);
        if (!raw.includes('\n')) return { start: s, end: e, value: raw };
        return { start: s, end: e, value: n.value === null || n.value === undefined ? '' : String(n.value) };
      }
      default:
        return undefined; // block scalars are never references
    }
  }

  position(offset: number) {
    if (!this.starts) this.starts = lineStarts(this.src);
    const line = lineOf(this.starts, offset);
    return { line, character: offset - this.starts[line] };
  }

  /**
   * Reports the scalar `node` (alias resolved) as a reference.
   * transform: maps the scalar value to the resolved reference (prefix stripping, substitution, composition).
   */
  emit(
    node: unknown,
    kind: ReferenceKind,
    opts: { pulled?: boolean; prefix?: string; transform?: (value: string) => string | undefined; composite?: boolean } = {},
  ): void {
    const n = this.resolve(node);
    if (!n || !isScalar(n)) return;
    const pulled = opts.pulled ?? true;
    const prev = this.byNode.get(n);
    if (prev) {
      if (pulled && !prev.pulled) prev.pulled = true;
      return;
    }
    const loc = this.scalarLoc(n);
    if (!loc) return;
    let { start, value } = loc;
    const end = loc.end;
    if (opts.prefix) {
      if (!value.startsWith(opts.prefix)) return;
      const raw = this.src.slice(start, end);
      if (!raw.startsWith(opts.prefix)) return; // escaped prefix in a quoted string: do not guess
      value = value.slice(opts.prefix.length);
      start += opts.prefix.length;
    }
    const text = this.src.slice(start, end);
    if (text.includes(TEMPLATE_MASK) || value.includes(TEMPLATE_MASK)) return;
    const resolved = opts.transform ? opts.transform(value) : value;
    if (resolved === undefined) return;
    const range: Range = { start: this.position(start), end: this.position(end) };
    const ref = makeReference({ range, text, resolved, kind, pulled, composite: opts.composite });
    if (!ref) return;
    this.byNode.set(n, ref);
    this.out.push(ref);
  }
}

// ---------------------------------------------------------------------------
// Map access with YAML merge keys (`<<: *anchor`, `<<: [*a, *b]`).

function keyString(p: Pair): string | undefined {
  const k = p.key as unknown;
  if (isScalar(k)) {
    const v = (k as Scalar).value;
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
    if (typeof v === 'symbol') return '<<';
    return v === null ? '' : undefined;
  }
  return undefined;
}

class View {
  private memo = new Map<YAMLMap, [string, unknown][]>();
  /** See Walk.tree. */
  readonly tree: boolean;
  constructor(readonly em: Emitter) {
    this.tree = em.plainTree;
  }

  map(node: unknown): YAMLMap | undefined {
    const n = this.em.resolve(node);
    return n && isMap(n) ? (n as YAMLMap) : undefined;
  }

  seq(node: unknown): YAMLSeq | undefined {
    const n = this.em.resolve(node);
    return n && isSeq(n) ? (n as YAMLSeq) : undefined;
  }

  /** Entries of a map with merge keys applied (own keys win, earlier merges win). */
  entries(node: unknown, depth = 0): [string, unknown][] {
    const m = this.map(node);
    if (!m || depth > 20) return [];
    const cached = this.memo.get(m);
    if (cached) return cached;
    this.memo.set(m, []); // a merge cycle sees an empty map
    const result = this.computeEntries(m, depth);
    this.memo.set(m, result);
    return result;
  }

  private computeEntries(m: YAMLMap, depth: number): [string, unknown][] {
    const own: [string, unknown][] = [];
    const merged: [string, unknown][] = [];
    for (const p of m.items as Pair[]) {
      const k = keyString(p);
      if (k === undefined) continue;
      if (k === '<<' && !(isScalar(p.key) && (p.key as Scalar).type && (p.key as Scalar).type !== 'PLAIN')) {
        const v = this.em.resolve(p.value);
        const sources = v && isSeq(v) ? (v as YAMLSeq).items : [p.value];
        for (const s of sources) merged.push(...this.entries(s, depth + 1));
        continue;
      }
      own.push([k, p.value]);
    }
    if (merged.length === 0) return own;
    const seen = new Set(own.map(([k]) => k));
    const out = own.slice();
    for (const [k, v] of merged) {
      if (seen.has(k)) continue;
      seen.add(k);
      out.push([k, v]);
    }
    return out;
  }

  get(node: unknown, key: string): unknown {
    const m = this.map(node);
    if (!m) return undefined;
    // fast path without merges
    let hasMerge = false;
    for (const p of m.items as Pair[]) {
      const k = keyString(p);
      if (k === key) return p.value;
      if (k === '<<') hasMerge = true;
    }
    if (!hasMerge) return undefined;
    for (const [k, v] of this.entries(m)) if (k === key) return v;
    return undefined;
  }

  has(node: unknown, key: string): boolean {
    const m = this.map(node);
    if (!m) return false;
    return this.entries(m).some(([k]) => k === key);
  }

  str(node: unknown, key: string): string | undefined {
    return this.em.scalarString(this.get(node, key));
  }

  items(node: unknown): unknown[] {
    const s = this.seq(node);
    return s ? s.items : [];
  }
}

// ---------------------------------------------------------------------------

const CONTAINER_LIST_KEYS = new Set(['containers', 'initContainers', 'ephemeralContainers', 'sidecars']);
const CONTAINER_KEYS = new Set(['container', 'script', 'stepTemplate']);

function k8sKind(apiVersion: string, kind: string, inherited?: ReferenceKind): ReferenceKind {
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  if (group === 'serving.knative.dev' || group === 'run.googleapis.com' || group.endsWith('.run.googleapis.com')) return 'cloudrun';
  if (group === 'tekton.dev' || group.endsWith('.tekton.dev')) return 'other-yaml';
  if (group === 'argoproj.io' && /^(Workflow|WorkflowTemplate|ClusterWorkflowTemplate|CronWorkflow)$/.test(kind)) return 'other-yaml';
  if (apiVersion.startsWith('skaffold/')) return 'other-yaml';
  return inherited && inherited !== 'k8s' ? inherited : 'k8s';
}

/**
 * One depth-first walk doing two jobs, each with its own `seen` set exactly as two
 * separate walks would:
 * - `k8s`: a Kubernetes-style object: containers at any depth, image volumes,
 *   Tekton/Argo step images (emitted at once);
 * - `helm`: Helm values `image:` / `*Image:` mappings (helmImage), emitted after the
 *   walk, as a second walk would (the first emission of a node decides its kind).
 * A Kubernetes manifest needs both (Flux HelmRelease `spec.values`, Argo CD
 * `helm.valuesObject`, ...); sharing the traversal halves its cost.
 */
interface Walk {
  v: View;
  /**
   * The document is a plain tree (fastYaml's output: no anchors, aliases or merge
   * keys), so no node is reached twice: no `seen` sets, map items read directly.
   */
  tree?: boolean;
  seenK8s?: Set<unknown>;
  seenHelm?: Set<unknown>;
  deferred: (() => void)[];
}

function walkTree(w: Walk, node: unknown, kind: ReferenceKind, k8s: boolean, helm: boolean, depth: number): void {
  const v = w.v;
  const n = w.tree ? (node as YNode) : v.em.resolve(node);
  if (!n || depth > 200) return;
  if (!w.tree) {
    if (k8s) {
      if (w.seenK8s!.has(n)) k8s = false;
      else w.seenK8s!.add(n);
    }
    if (helm) {
      if (w.seenHelm!.has(n)) helm = false;
      else w.seenHelm!.add(n);
    }
    if (!k8s && !helm) return;
  }
  if (isSeq(n)) {
    for (const it of (n as YAMLSeq).items) walkTree(w, it, kind, k8s, helm, depth + 1);
    return;
  }
  if (!isMap(n)) return;
  if (k8s && depth > 0) {
    const apiVersion = v.str(n, 'apiVersion');
    const k = apiVersion && v.str(n, 'kind');
    if (apiVersion && k) kind = k8sKind(apiVersion, k, undefined);
  }
  if (w.tree) {
    for (const p of (n as YAMLMap).items as Pair[]) {
      const key = keyString(p);
      if (key !== undefined) walkEntry(w, key, p.value, kind, k8s, helm, depth);
    }
  } else {
    for (const [key, value] of v.entries(n)) walkEntry(w, key, value, kind, k8s, helm, depth);
  }
}

/** One entry of a map for walkTree. */
function walkEntry(w: Walk, key: string, value: unknown, kind: ReferenceKind, k8s: boolean, helm: boolean, depth: number): void {
  const v = w.v;
  if (k8s) {
    if (CONTAINER_LIST_KEYS.has(key) || key === 'steps') {
      for (const c of v.items(value)) {
        const img = v.get(c, 'image');
        if (img !== undefined) v.em.emit(img, kind);
      }
    } else if (CONTAINER_KEYS.has(key)) {
      const img = v.get(value, 'image');
      if (img !== undefined) v.em.emit(img, kind);
    } else if (key === 'volumes') {
      for (const vol of v.items(value)) {
        const ref = v.get(v.get(vol, 'image'), 'reference');
        if (ref !== undefined) v.em.emit(ref, kind);
      }
    }
  }
  // A Helm image mapping is not walked further for Helm values.
  const helmHere = helm && helmImage(w, key, value);
  if (k8s || (helm && !helmHere)) {
    const inner = v.em.resolve(value);
    if (inner && (isMap(inner) || isSeq(inner))) walkTree(w, inner, kind, k8s, helm && !helmHere, depth + 1);
  }
}

/** Walks a Kubernetes-style object only (see walkTree); `seen` may be shared between calls. */
function walkK8s(v: View, node: unknown, kind: ReferenceKind, seen: Set<unknown>, depth: number): void {
  walkTree({ v, tree: v.tree, seenK8s: seen, deferred: [] }, node, kind, true, false, depth);
}

/** Kubernetes objects and the Helm values embedded in them, in one walk. */
function walkK8sAndHelm(v: View, root: unknown, kind: ReferenceKind): void {
  const w: Walk = { v, tree: v.tree, seenK8s: new Set(), seenHelm: new Set(), deferred: [] };
  walkTree(w, root, kind, true, true, 0);
  for (const emit of w.deferred) emit();
}

/**
 * Skaffold: container images that Skaffold runs (`verify[].container`, `customActions[].containers`,
 * also under `profiles[]`). `build.artifacts[].image` are build outputs and are skipped.
 */
function skaffold(v: View, root: unknown): void {
  const seen = new Set<unknown>();
  const config = (node: unknown) => {
    for (const [key, value] of v.entries(node)) {
      if (key === 'build' || key === 'profiles') continue;
      walkK8s(v, value, 'other-yaml', seen, 1);
    }
  };
  config(root);
  for (const p of v.items(v.get(root, 'profiles'))) config(p);
}

function kustomize(v: View, root: unknown): void {
  for (const it of v.items(v.get(root, 'images'))) {
    const newName = v.get(it, 'newName');
    const newTag = v.em.scalarString(v.get(it, 'newTag'));
    const digest = v.em.scalarString(v.get(it, 'digest'));
    const suffix = (newTag ? `:${newTag}` : '') + (digest ? `@${digest}` : '');
    if (newName !== undefined && v.em.scalarString(newName)) {
      v.em.emit(newName, 'kustomize', { transform: (s) => s + suffix, composite: suffix !== '' });
    } else if (suffix) {
      v.em.emit(v.get(it, 'name'), 'kustomize', { transform: (s) => s + suffix, composite: true });
    }
  }
}

function composeSubst(s: string): string {
  // No environment at scan time: defaults apply, other variables stay as written.
  return substitute(s, () => ({ set: false }), { dollarEscape: true }).value;
}

function compose(v: View, root: unknown): void {
  for (const [, svc] of v.entries(v.get(root, 'services'))) {
    const img = v.get(svc, 'image');
    if (img === undefined) continue;
    const pulled = !v.has(svc, 'build');
    v.em.emit(img, 'compose', { pulled, transform: composeSubst });
  }
}

function cloudbuild(v: View, root: unknown): void {
  for (const s of v.items(v.get(root, 'steps'))) v.em.emit(v.get(s, 'name'), 'cloudbuild');
}

function imageOrName(v: View, node: unknown, key: 'image' | 'name', kind: ReferenceKind, prefix?: string): void {
  const n = v.em.resolve(node);
  if (!n) return;
  if (isScalar(n)) v.em.emit(n, kind, prefix ? { prefix } : {});
  else if (isMap(n)) {
    const inner = v.get(n, key);
    if (inner !== undefined) v.em.emit(inner, kind, prefix ? { prefix } : {});
  }
}

function githubWorkflow(v: View, root: unknown): void {
  for (const [, job] of v.entries(v.get(root, 'jobs'))) {
    const container = v.get(job, 'container');
    if (container !== undefined) imageOrName(v, container, 'image', 'github-actions');
    for (const [, svc] of v.entries(v.get(job, 'services'))) imageOrName(v, svc, 'image', 'github-actions');
    for (const step of v.items(v.get(job, 'steps'))) {
      const uses = v.get(step, 'uses');
      if (uses !== undefined) v.em.emit(uses, 'github-actions', { prefix: 'docker://' });
    }
  }
}

function githubAction(v: View, root: unknown): void {
  const runs = v.get(root, 'runs');
  const image = v.get(runs, 'image');
  if (image !== undefined) v.em.emit(image, 'github-actions', { prefix: 'docker://' });
  for (const step of v.items(v.get(runs, 'steps'))) {
    const uses = v.get(step, 'uses');
    if (uses !== undefined) v.em.emit(uses, 'github-actions', { prefix: 'docker://' });
  }
}

/** CircleCI: jobs.*.docker[].image and executors.*.docker[].image (first is the job image, the rest services). */
function circleci(v: View, root: unknown): void {
  for (const section of ['jobs', 'executors']) {
    for (const [, j] of v.entries(v.get(root, section))) {
      for (const d of v.items(v.get(j, 'docker'))) v.em.emit(v.get(d, 'image'), 'other-yaml');
    }
  }
}

/** Bitbucket Pipelines: image (string or .name) at the top, on steps, and definitions.services.*. */
function bitbucket(v: View, root: unknown): void {
  const image = (node: unknown) => {
    const img = v.get(node, 'image');
    if (img !== undefined) imageOrName(v, img, 'name', 'other-yaml');
  };
  image(root);
  for (const [, svc] of v.entries(v.get(v.get(root, 'definitions'), 'services'))) image(svc);
  const seen = new Set<unknown>();
  const walk = (node: unknown, depth: number) => {
    const n = v.em.resolve(node);
    if (!n || depth > 100 || seen.has(n)) return;
    seen.add(n);
    if (isSeq(n)) for (const it of (n as YAMLSeq).items) walk(it, depth + 1);
    else if (isMap(n)) {
      for (const [k, val] of v.entries(n)) {
        if (k === 'step') image(val);
        walk(val, depth + 1);
      }
    }
  };
  walk(v.get(root, 'pipelines'), 0);
}

const GITLAB_RESERVED = new Set(['stages', 'variables', 'include', 'workflow', 'before_script', 'after_script', 'cache', 'spec']);

function gitlab(v: View, root: unknown): void {
  const job = (node: unknown) => {
    const image = v.get(node, 'image');
    if (image !== undefined) imageOrName(v, image, 'name', 'gitlab-ci');
    for (const s of v.items(v.get(node, 'services'))) imageOrName(v, s, 'name', 'gitlab-ci');
  };
  job(root); // global image: / services:
  for (const [key, value] of v.entries(root)) {
    if (GITLAB_RESERVED.has(key) || key === 'image' || key === 'services') continue;
    if (v.map(value)) job(value);
  }
}

function isImageKey(key: string): boolean {
  // key === 'image' or /[a-z0-9]Image$/, without a regex run for every key
  if (key === 'image') return true;
  const n = key.length;
  if (n < 6 || !key.endsWith('Image')) return false;
  const c = key.charCodeAt(n - 6);
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57);
}

/**
 * Helm values: an `image:` / `*Image:` mapping with `repository` (+ registry, tag,
 * digest). Queues its reference on `w.deferred`; true when the entry is such a
 * mapping (emitted, or skipped for a templated part), which is then not walked into.
 */
function helmImage(w: Walk, key: string, value: unknown): boolean {
  const v = w.v;
  if (!isImageKey(key) || !v.map(value)) return false;
  const repo = v.get(value, 'repository');
  if (repo === undefined || !v.em.scalarString(repo)) return false;
  const registry = v.em.scalarString(v.get(value, 'registry'));
  const tag = v.em.scalarString(v.get(value, 'tag'));
  const digest = v.em.scalarString(v.get(value, 'digest'));
  if ([registry, tag, digest].some((x) => x !== undefined && x.includes(TEMPLATE_MASK))) return true;
  w.deferred.push(() =>
    v.em.emit(repo, 'helm-values', {
      transform: (r) => (registry ? `${registry}/` : '') + r + (tag ? `:${tag}` : '') + (digest ? `@${digest}` : ''),
      composite: Boolean(registry || tag || digest),
    }),
  );
  return true;
}

/** Helm values only (a values file, or YAML of no known kind). */
function helmValues(v: View, root: unknown): void {
  const w: Walk = { v, tree: v.tree, seenHelm: new Set(), deferred: [] };
  walkTree(w, root, 'helm-values', false, true, 0);
  for (const emit of w.deferred) emit();
}

const CLOUDBUILD_KEYS = ['substitutions', 'images', 'options', 'timeout', 'artifacts', 'availableSecrets', 'serviceAccount', 'logsBucket', 'tags', 'secrets', 'queueTtl'];
const CLOUDBUILD_STEP_KEYS = ['args', 'entrypoint', 'script', 'waitFor', 'dir', 'secretEnv', 'volumes', 'allowFailure', 'automapSubstitutions'];

/** Classifies one parsed document and emits its references into `out`. */
export function extractFromDocument(doc: Document | undefined, contents: unknown, src: string, ctx: YamlFileContext, out: RawReference[]): void {
  const em = new Emitter(doc, src, out);
  const v = new View(em);
  const root = em.resolve(contents);
  if (!root || !isMap(root)) {
    // A top-level List of objects without apiVersion is not a known format.
    return;
  }
  const apiVersion = v.str(root, 'apiVersion');
  const kind = v.str(root, 'kind');
  if (apiVersion && kind) {
    if (apiVersion.startsWith('skaffold/')) return skaffold(v, root);
    if (/^(Kustomization|Component)$/.test(kind) && apiVersion.startsWith('kustomize.config.k8s.io')) return kustomize(v, root);
    const k = k8sKind(apiVersion, kind);
    // Tekton StepAction: the step is the spec itself.
    if (kind === 'StepAction' && k === 'other-yaml') v.em.emit(v.get(v.get(root, 'spec'), 'image'), k);
    // With the Helm values embedded in it (Flux HelmRelease spec.values, Argo CD helm.valuesObject, ...).
    walkK8sAndHelm(v, root, k);
    return;
  }
  // Drone / Woodpecker pipelines: `kind: pipeline` with steps[] and services[] images.
  if (kind === 'pipeline' && v.seq(v.get(root, 'steps'))) {
    for (const key of ['steps', 'services']) for (const s of v.items(v.get(root, key))) v.em.emit(v.get(s, 'image'), 'other-yaml');
    return;
  }
  // Kubernetes objects without apiVersion (kustomize patches, fragments).
  if (kind && !apiVersion && (v.map(v.get(root, 'spec')) || v.map(v.get(root, 'metadata')))) {
    walkK8s(v, root, 'k8s', new Set(), 0);
    return;
  }
  const images = v.get(root, 'images');
  if (ctx.kustomization || (v.seq(images) && v.items(images).some((it) => v.has(it, 'newName') || v.has(it, 'newTag') || v.has(it, 'digest')))) {
    return kustomize(v, root);
  }
  const jobs = v.map(v.get(root, 'jobs'));
  if (ctx.circleci || (jobs && v.entries(jobs).some(([, j]) => v.seq(v.get(j, 'docker'))))) {
    return circleci(v, root);
  }
  if (ctx.bitbucket || v.map(v.get(root, 'pipelines'))) return bitbucket(v, root);
  if (jobs && (ctx.githubWorkflow || v.has(root, 'on') || v.has(root, 'true') || v.entries(jobs).some(([, j]) => v.has(j, 'runs-on')))) {
    return githubWorkflow(v, root);
  }
  const runs = v.map(v.get(root, 'runs'));
  if (runs && (ctx.githubAction || v.has(runs, 'using'))) return githubAction(v, root);
  const steps = v.seq(v.get(root, 'steps'));
  if (
    steps &&
    (ctx.cloudbuild ||
      CLOUDBUILD_KEYS.some((k) => v.has(root, k)) ||
      steps.items.some((s) => v.has(s, 'name') && CLOUDBUILD_STEP_KEYS.some((k) => v.has(s, k))))
  ) {
    return cloudbuild(v, root);
  }
  const services = v.map(v.get(root, 'services'));
  if (services && (ctx.compose || v.entries(services).some(([, s]) => v.has(s, 'image') || v.has(s, 'build')))) {
    return compose(v, root);
  }
  if (
    ctx.gitlab ||
    (v.seq(v.get(root, 'stages')) && v.entries(root).some(([, j]) => v.has(j, 'script'))) ||
    v.entries(root).some(([k, j]) => !k.startsWith('.') && v.has(j, 'script') && (v.has(j, 'stage') || v.has(j, 'image')))
  ) {
    return gitlab(v, root);
  }
  helmValues(v, root);
}
