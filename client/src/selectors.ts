/**
 * Which documents the language server sees. Kept in one place so the document
 * selector, the file watcher and package.json's activation events agree
 * (test/e2e/manifest.e2e.ts checks package.json against these lists).
 */

/** File name globs of Dockerfiles (matched against the base name, case-sensitive like Docker's tools). */
export const DOCKERFILE_NAME_GLOBS = [
  'Dockerfile',
  'Dockerfile.*',
  '*.Dockerfile',
  '*.dockerfile',
  'dockerfile',
  'Containerfile',
  'Containerfile.*',
  '*.Containerfile',
] as const;

/** YAML file globs (Kubernetes, Compose, Cloud Build, CI files, Helm values, kustomize...). */
export const YAML_NAME_GLOBS = ['*.yml', '*.yaml'] as const;

/** Language ids: VS Code's own and those of popular extensions (Docker, GitHub Actions, Kubernetes/Helm). */
export const DOCKERFILE_LANGUAGES = ['dockerfile'] as const;
export const YAML_LANGUAGES = ['yaml', 'dockercompose', 'github-actions-workflow', 'helm'] as const;

export const ALL_NAME_GLOBS = [...DOCKERFILE_NAME_GLOBS, ...YAML_NAME_GLOBS];

/** `**\/{a,b,c}` for a workspace-relative glob that matches any of the names in any folder. */
export function anyFolderGlob(names: readonly string[]): string {
  return `**/{${names.join(',')}}`;
}

export interface DocumentFilterLike {
  language?: string;
  scheme?: string;
  pattern?: string;
}

/**
 * The document selector. Schemes: `file` and `vscode-remote`-free local files,
 * plus `untitled` for language-identified buffers. Pattern filters catch
 * Dockerfiles that no extension has given the `dockerfile` language
 * (`Dockerfile.prod`, `api.Dockerfile`, `Containerfile`).
 */
export function documentSelector(): DocumentFilterLike[] {
  const out: DocumentFilterLike[] = [];
  for (const scheme of ['file', 'untitled']) {
    for (const language of [...DOCKERFILE_LANGUAGES, ...YAML_LANGUAGES]) out.push({ scheme, language });
  }
  out.push({ scheme: 'file', pattern: anyFolderGlob(DOCKERFILE_NAME_GLOBS) });
  out.push({ scheme: 'file', pattern: anyFolderGlob(YAML_NAME_GLOBS) });
  return out;
}

/**
 * YAML files whose presence marks a workspace that deploys containers (activation
 * without opening a file). Any other YAML activates the extension when opened.
 */
export const WORKSPACE_YAML_HINTS = [
  'docker-compose*.yml',
  'docker-compose*.yaml',
  'compose*.yml',
  'compose*.yaml',
  'cloudbuild*.yaml',
  'cloudbuild*.yml',
  'kustomization.yaml',
  'kustomization.yml',
  'skaffold.yaml',
  'Chart.yaml',
  '.gitlab-ci.yml',
] as const;

export function activationEvents(): string[] {
  return [
    ...[...DOCKERFILE_LANGUAGES, ...YAML_LANGUAGES].map((l) => `onLanguage:${l}`),
    ...[...DOCKERFILE_NAME_GLOBS, ...WORKSPACE_YAML_HINTS].map((g) => `workspaceContains:**/${g}`),
  ];
}
