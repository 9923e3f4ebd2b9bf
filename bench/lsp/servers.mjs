// The language servers under test: how to start them and what settings to answer
// their workspace/configuration requests with. All run on the same Node binary.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * @typedef {object} ServerDef
 * @property {string} id
 * @property {string} label
 * @property {string[]} args          node arguments (script + flags)
 * @property {(section:string)=>any} settings
 * @property {(d:{diagnostics:any[]})=>boolean} acceptFirst  which publishDiagnostics counts as "the answer" after didOpen
 * @property {string} [note]
 */

const YAML_SETTINGS = {
  // Validation on; no network: the JSON Schema Store catalogue and the Kubernetes CRD store are
  // downloaded over HTTP by yaml-language-server, and no Kubernetes schema ships offline, so no
  // schema is associated (syntax + YAML structure validation only).
  validate: true,
  hover: true,
  completion: true,
  format: { enable: false },
  schemas: {},
  schemaStore: { enable: false, url: '' },
  kubernetesCRDStore: { enable: false, url: '' },
  disableDefaultProperties: false,
  maxItemsComputed: 5000,
  keyOrdering: false,
  customTags: [],
  style: { flowMapping: 'allow', flowSequence: 'allow' },
};

/** @param {string} root repository root */
export function serverDefs(root) {
  const ours = join(root, 'dist/server.js');
  /** @type {Record<string, ServerDef>} */
  return {
    ours: {
      id: 'ours',
      label: 'ar-migrate',
      args: [ours, '--stdio'],
      available: existsSync(ours),
      // Offline, deterministic: no pull-count source configured, built-in first-party policy.
      settings: (section) => {
        if (section === 'arMigrate' || section === 'ar-migrate' || section === '') {
          const s = {
            firstPartyRegistries: [],
            ignoredImages: [],
            pulls: { source: 'none' },
            diagnostics: { enable: true },
          };
          return section === '' ? { arMigrate: s } : s;
        }
        return null;
      },
      acceptFirst: (d) => d.diagnostics.some((x) => x.source === 'ar-migrate'),
    },
    yaml: {
      id: 'yaml',
      label: 'yaml-language-server',
      args: [join(root, 'node_modules/yaml-language-server/bin/yaml-language-server'), '--stdio'],
      available: existsSync(join(root, 'node_modules/yaml-language-server/bin/yaml-language-server')),
      settings: (section) => {
        switch (section) {
          case 'yaml':
            return YAML_SETTINGS;
          case '[yaml]':
            return { 'editor.tabSize': 2, 'editor.insertSpaces': true };
          case 'http':
            return { proxy: '', proxyStrictSSL: false };
          case 'editor':
            return { tabSize: 2, insertSpaces: true, detectIndentation: false };
          default:
            return null;
        }
      },
      acceptFirst: () => true,
      note: 'yaml-language-server: validation enabled, NO Kubernetes schema (it is fetched over HTTP and cannot be associated offline) -> YAML syntax/structure validation only; 200 ms built-in validation debounce (part of what a user sees).',
    },
    docker: {
      id: 'docker',
      label: 'docker-langserver',
      args: [join(root, 'node_modules/dockerfile-language-server-nodejs/bin/docker-langserver'), '--stdio'],
      available: existsSync(join(root, 'node_modules/dockerfile-language-server-nodejs/bin/docker-langserver')),
      settings: (section) => {
        if (section === 'docker.languageserver.diagnostics') {
          return {
            deprecatedMaintainer: 'warning',
            directiveCasing: 'warning',
            emptyContinuationLine: 'warning',
            instructionCasing: 'warning',
            instructionCmdMultiple: 'warning',
            instructionEntrypointMultiple: 'warning',
            instructionHealthcheckMultiple: 'warning',
            instructionJSONInSingleQuotes: 'warning',
            instructionWorkdirRelative: 'warning',
          };
        }
        if (section === 'docker.languageserver.formatter') return { ignoreMultilineInstructions: false };
        return null;
      },
      acceptFirst: () => true,
    },
  };
}
