// A minimal, dependency-free Language Server Protocol client over stdio for
// benchmarks and tests: spawns a server, frames JSON-RPC messages
// (Content-Length headers), answers the server's requests (configuration,
// capability registration, progress) and timestamps every
// textDocument/publishDiagnostics on arrival.
//
//   const c = await LspClient.start({ command: process.execPath, args: ['dist/server.js', '--stdio'] });
//   await c.initialize({ rootDir, settings: (section) => ... });
//   const t0 = c.didOpen(uri, 'yaml', text);
//   const d = await c.waitForDiagnostics(uri, { after: t0, timeoutMs: 60000 });
//   await c.stop();
//
// Every wait has a timeout; stop() always ends the process (SIGKILL after a grace period).
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const HEADER_END = Buffer.from('\r\n\r\n');

export class LspError extends Error {}

export class LspClient {
  /**
   * @param {object} opts
   * @param {string} opts.command executable (use process.execPath for Node servers so the PID is the server's)
   * @param {string[]} opts.args
   * @param {string} [opts.cwd]
   * @param {Record<string,string>} [opts.env]
   * @param {string} [opts.name] label used in errors
   */
  static async start(opts) {
    const c = new LspClient(opts);
    await c.#spawned;
    return c;
  }

  #proc;
  #spawned;
  #buf = Buffer.alloc(0);
  #nextId = 1;
  /** @type {Map<number|string, {resolve:Function, reject:Function, method:string, timer:any}>} */
  #pending = new Map();
  /** Recent publishDiagnostics (bounded), oldest first. @type {{uri:string, version?:number, diagnostics:any[], t:number, seq:number}[]} */
  diagnostics = [];
  /** @type {{filter:(d:any)=>boolean, resolve:Function, reject:Function, timer:any}[]} */
  #diagWaiters = [];
  #stderr = '';
  #exited = false;
  #exitInfo = undefined;
  #seq = 0;
  settings = () => null;
  workspaceFolders = [];
  /** server -> client requests seen, by method (for the report) */
  serverRequests = new Map();
  notifications = new Map();

  constructor(opts) {
    this.name = opts.name ?? opts.args?.[0] ?? opts.command;
    this.#proc = spawn(opts.command, opts.args ?? [], {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.#spawned = new Promise((resolve, reject) => {
      this.#proc.once('spawn', resolve);
      this.#proc.once('error', (e) => reject(new LspError(`${this.name}: cannot start: ${e.message}`)));
    });
    this.#proc.stdout.on('data', (chunk) => this.#onData(chunk));
    this.#proc.stderr.on('data', (chunk) => {
      this.#stderr += chunk.toString('utf8');
      if (this.#stderr.length > 20000) this.#stderr = this.#stderr.slice(-10000);
    });
    this.#proc.stdin.on('error', () => {}); // EPIPE when the server dies: reported through exit
    this.#proc.once('exit', (code, signal) => {
      this.#exited = true;
      this.#exitInfo = { code, signal };
      const err = new LspError(`${this.name}: server exited (code ${code}, signal ${signal}). stderr tail: ${this.stderrTail()}`);
      for (const p of this.#pending.values()) {
        clearTimeout(p.timer);
        p.reject(err);
      }
      this.#pending.clear();
      for (const w of this.#diagWaiters) {
        clearTimeout(w.timer);
        w.reject(err);
      }
      this.#diagWaiters = [];
    });
  }

  /** Sequence number of the last publishDiagnostics received (0 before any). */
  get lastSeq() {
    return this.#seq;
  }

  get pid() {
    return this.#proc.pid;
  }
  get exited() {
    return this.#exited;
  }
  stderrTail(n = 800) {
    return this.#stderr.slice(-n).trim();
  }

  // ---------- framing ----------
  #onData(chunk) {
    const t = performance.now();
    this.#buf = this.#buf.length ? Buffer.concat([this.#buf, chunk]) : chunk;
    for (;;) {
      const headerEnd = this.#buf.indexOf(HEADER_END);
      if (headerEnd < 0) return;
      const header = this.#buf.subarray(0, headerEnd).toString('ascii');
      const m = /Content-Length:\s*(\d+)/i.exec(header);
      if (!m) {
        // Not LSP framing (a stray console.log on stdout): drop up to the header end.
        this.#buf = this.#buf.subarray(headerEnd + 4);
        continue;
      }
      const len = Number(m[1]);
      const start = headerEnd + 4;
      if (this.#buf.length < start + len) return;
      const body = this.#buf.subarray(start, start + len).toString('utf8');
      this.#buf = this.#buf.subarray(start + len);
      let msg;
      try {
        msg = JSON.parse(body);
      } catch {
        continue;
      }
      this.#onMessage(msg, t);
    }
  }

  #write(msg) {
    if (this.#exited) throw new LspError(`${this.name}: server has exited. stderr tail: ${this.stderrTail()}`);
    const body = Buffer.from(JSON.stringify(msg), 'utf8');
    this.#proc.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
    return this.#proc.stdin.write(body);
  }

  #onMessage(msg, t) {
    if (msg.id !== undefined && msg.method === undefined) {
      const p = this.#pending.get(msg.id);
      if (!p) return;
      this.#pending.delete(msg.id);
      clearTimeout(p.timer);
      if (msg.error) p.reject(new LspError(`${this.name}: ${p.method} failed: ${msg.error.message}`));
      else p.resolve(msg.result);
      return;
    }
    if (msg.id !== undefined && msg.method) {
      this.serverRequests.set(msg.method, (this.serverRequests.get(msg.method) ?? 0) + 1);
      this.#answerServerRequest(msg);
      return;
    }
    if (msg.method) {
      this.notifications.set(msg.method, (this.notifications.get(msg.method) ?? 0) + 1);
      if (msg.method === 'textDocument/publishDiagnostics') {
        const d = {
          uri: msg.params.uri,
          version: msg.params.version,
          diagnostics: msg.params.diagnostics ?? [],
          t,
          seq: ++this.#seq,
        };
        this.diagnostics.push(d);
        // Keep a bounded history (a publish for a big manifest can hold thousands of diagnostics).
        if (this.diagnostics.length > 200) this.diagnostics.splice(0, 100);
        const waiters = this.#diagWaiters;
        this.#diagWaiters = [];
        for (const w of waiters) {
          if (w.filter(d)) {
            clearTimeout(w.timer);
            w.resolve(d);
          } else this.#diagWaiters.push(w);
        }
      }
    }
  }

  #answerServerRequest(msg) {
    let result = null;
    let error;
    switch (msg.method) {
      case 'workspace/configuration':
        result = (msg.params?.items ?? []).map((it) => {
          try {
            return this.settings(it.section ?? '', it.scopeUri) ?? null;
          } catch {
            return null;
          }
        });
        break;
      case 'workspace/workspaceFolders':
        result = this.workspaceFolders;
        break;
      case 'client/registerCapability':
      case 'client/unregisterCapability':
      case 'window/workDoneProgress/create':
      case 'window/showMessageRequest':
      case 'workspace/semanticTokens/refresh':
      case 'workspace/codeLens/refresh':
      case 'workspace/inlayHint/refresh':
      case 'workspace/diagnostic/refresh':
        result = null;
        break;
      case 'workspace/applyEdit':
        result = { applied: false, failureReason: 'benchmark client does not apply edits' };
        break;
      default:
        error = { code: -32601, message: `benchmark client: unhandled method ${msg.method}` };
    }
    try {
      this.#write(error ? { jsonrpc: '2.0', id: msg.id, error } : { jsonrpc: '2.0', id: msg.id, result });
    } catch {
      /* exited */
    }
  }

  // ---------- JSON-RPC ----------
  request(method, params, timeoutMs = 60000) {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new LspError(`${this.name}: ${method} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, { resolve, reject, method, timer });
      try {
        this.#write({ jsonrpc: '2.0', id, method, params });
      } catch (e) {
        clearTimeout(timer);
        this.#pending.delete(id);
        reject(e);
      }
    });
  }

  /** Sends a notification; returns performance.now() taken just before the write. */
  notify(method, params) {
    const t = performance.now();
    this.#write({ jsonrpc: '2.0', method, params });
    return t;
  }

  // ---------- LSP lifecycle ----------
  /**
   * @param {object} o
   * @param {string} o.rootDir workspace folder on disk
   * @param {(section:string, scopeUri?:string)=>any} [o.settings] answers workspace/configuration
   * @param {object} [o.initializationOptions]
   */
  async initialize({ rootDir, settings, initializationOptions, timeoutMs = 60000 }) {
    if (settings) this.settings = settings;
    const rootUri = pathToFileURL(rootDir).href;
    this.workspaceFolders = [{ uri: rootUri, name: 'bench' }];
    const t0 = performance.now();
    const result = await this.request(
      'initialize',
      {
        processId: process.pid,
        clientInfo: { name: 'ar-migrate-bench', version: '1' },
        locale: 'en',
        rootPath: rootDir,
        rootUri,
        workspaceFolders: this.workspaceFolders,
        initializationOptions,
        capabilities: {
          workspace: {
            configuration: true,
            workspaceFolders: true,
            didChangeConfiguration: { dynamicRegistration: true },
            didChangeWatchedFiles: { dynamicRegistration: false },
            applyEdit: true,
            workspaceEdit: { documentChanges: true },
          },
          textDocument: {
            synchronization: { dynamicRegistration: false, didSave: true, willSave: false },
            publishDiagnostics: { relatedInformation: true, versionSupport: true, codeDescriptionSupport: true, dataSupport: true },
            codeAction: { codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix', 'refactor', 'source'] } } },
            hover: { contentFormat: ['markdown', 'plaintext'] },
            completion: { completionItem: { snippetSupport: true } },
          },
          window: { workDoneProgress: true, showMessage: {} },
          general: { positionEncodings: ['utf-16'] },
        },
      },
      timeoutMs,
    );
    this.capabilities = result?.capabilities ?? {};
    this.notify('initialized', {});
    this.notify('workspace/didChangeConfiguration', { settings: {} });
    this.initializeMs = performance.now() - t0;
    return result;
  }

  /** Text sync kind the server asked for (1 full, 2 incremental). */
  get syncKind() {
    const s = this.capabilities?.textDocumentSync;
    if (typeof s === 'number') return s;
    return s?.change ?? 1;
  }

  didOpen(uri, languageId, text, version = 1) {
    return this.notify('textDocument/didOpen', { textDocument: { uri, languageId, version, text } });
  }

  /**
   * Sends one change. For servers that asked for full sync, pass fullText too.
   * @param {{range:any, text:string}[]} changes incremental changes
   */
  didChange(uri, version, changes, fullText) {
    const contentChanges = this.syncKind === 2 || fullText === undefined ? changes : [{ text: fullText }];
    return this.notify('textDocument/didChange', { textDocument: { uri, version }, contentChanges });
  }

  /**
   * Resolves with the first publishDiagnostics for `uri` that arrived after time `after`
   * (performance.now() clock) and passes `accept`. Already-arrived messages count.
   */
  waitForDiagnostics(uri, { after = 0, accept = () => true, timeoutMs = 60000 } = {}) {
    const filter = (d) => d.uri === uri && d.t >= after && accept(d);
    const hit = this.diagnostics.find(filter);
    if (hit) return Promise.resolve(hit);
    if (this.#exited) return Promise.reject(new LspError(`${this.name}: server has exited. stderr tail: ${this.stderrTail()}`));
    return new Promise((resolve, reject) => {
      const w = {
        filter,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#diagWaiters = this.#diagWaiters.filter((x) => x !== w);
          reject(new LspError(`${this.name}: no publishDiagnostics for ${uri} within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.#diagWaiters.push(w);
    });
  }

  /** Waits until no publishDiagnostics for `uri` arrived during `quietMs` (bounded by maxMs). */
  async settle(uri, quietMs = 150, maxMs = 5000) {
    const deadline = performance.now() + maxMs;
    for (;;) {
      const lastT = this.diagnostics.filter((d) => d.uri === uri).reduce((m, d) => Math.max(m, d.t), 0);
      const now = performance.now();
      if (now - lastT >= quietMs || now >= deadline) return;
      await sleep(Math.min(quietMs - (now - lastT) + 1, deadline - now));
    }
  }

  /** shutdown + exit; kills the process if it does not exit in time. */
  async stop(graceMs = 3000) {
    if (this.#exited) return this.#exitInfo;
    const exited = new Promise((r) => this.#proc.once('exit', (code, signal) => r({ code, signal })));
    try {
      await this.request('shutdown', null, graceMs);
      this.notify('exit', null);
    } catch {
      /* fall through to kill */
    }
    const timer = setTimeout(() => {
      if (!this.#exited) this.#proc.kill('SIGKILL');
    }, graceMs);
    const info = await exited;
    clearTimeout(timer);
    this.#proc.stdin.destroy();
    return info;
  }

  kill() {
    if (!this.#exited) this.#proc.kill('SIGKILL');
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
