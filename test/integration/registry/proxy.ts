/**
 * A small HTTP proxy in front of a real registry that injects faults by rule
 * (used until/alongside test/harness/faultProxy.ts). It forwards everything
 * else unchanged, Host header included, so the registry's Location headers
 * point back at the proxy.
 */
import * as http from 'node:http';
import { AddressInfo } from 'node:net';

export type FaultAction =
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: string }
  | { kind: 'reset' } // destroy the connection before answering
  | { kind: 'truncate'; after: number } // forward, but cut the body after N bytes and close
  | { kind: 'corrupt' } // forward, with one byte of the body flipped
  | { kind: 'redirect'; to: string } // 307 to another origin
  | { kind: 'slow'; bytesPerSecond: number };

export interface ProxyRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

export interface FaultProxy {
  url: string;
  host: string;
  requests: ProxyRequest[];
  rule: (req: ProxyRequest) => FaultAction | undefined;
  stop(): Promise<void>;
}

export async function startProxy(upstream: string, rule: FaultProxy['rule'] = () => undefined): Promise<FaultProxy> {
  const up = new URL(upstream);
  const sockets = new Set<import('node:net').Socket>();
  const handle: FaultProxy = { url: '', host: '', requests: [], rule, stop: async () => undefined };
  const server = http.createServer((req, res) => {
    const info: ProxyRequest = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers };
    handle.requests.push(info);
    const action = handle.rule(info);
    if (action?.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    if (action?.kind === 'status') {
      req.resume();
      res.writeHead(action.status, { 'content-type': 'application/json', ...(action.headers ?? {}) });
      res.end(action.body ?? JSON.stringify({ errors: [{ code: 'UNAVAILABLE', message: 'injected fault' }] }));
      return;
    }
    if (action?.kind === 'redirect') {
      req.resume();
      res.writeHead(307, { location: action.to + (req.url ?? '') });
      res.end();
      return;
    }
    const fwd = http.request(
      { host: up.hostname, port: up.port, method: req.method, path: req.url, headers: req.headers },
      (ures) => {
        res.writeHead(ures.statusCode ?? 502, ures.headers);
        if (!action) {
          ures.pipe(res);
          return;
        }
        let sent = 0;
        let flipped = false;
        ures.on('data', (chunk: Buffer) => {
          if (action.kind === 'truncate') {
            const room = action.after - sent;
            if (room <= 0) return;
            const part = chunk.subarray(0, room);
            sent += part.length;
            res.write(part);
            if (sent >= action.after) {
              ures.destroy();
              setTimeout(() => res.socket?.destroy(), 20);
            }
            return;
          }
          if (action.kind === 'corrupt' && !flipped && chunk.length > 0) {
            chunk = Buffer.from(chunk);
            chunk[0] ^= 0xff;
            flipped = true;
          }
          if (action.kind === 'slow') {
            ures.pause();
            setTimeout(() => ures.resume(), Math.ceil((chunk.length / action.bytesPerSecond) * 1000));
          }
          sent += chunk.length;
          res.write(chunk);
        });
        ures.on('end', () => res.end());
        ures.on('error', () => res.destroy());
      },
    );
    fwd.on('error', () => res.destroy());
    req.pipe(fwd);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  handle.url = `http://127.0.0.1:${port}`;
  handle.host = `127.0.0.1:${port}`;
  handle.stop = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return handle;
}
