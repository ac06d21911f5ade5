/**
 * Hands the agent package to agents during a rollout: a throwaway HTTP server that
 * serves one file at an unguessable path, so the package URL given to agents is
 * the only way to reach it and nothing else on the host is exposed.
 */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

const IN_MEMORY_MAX = 16 * 1024 * 1024;

export interface PackageServer {
  /** the URL agents download the package from */
  url: string;
  close(): Promise<void>;
}

export async function servePackage(o: {
  file: string;
  host?: string;
  port?: number;
  /** base URL agents use to reach this server, e.g. http://manager.example:8099 */
  publicUrl?: string;
}): Promise<PackageServer> {
  const file = path.resolve(o.file);
  // fail here, not at the first agent's download
  const info = await stat(file);
  if (!info.isFile()) throw new Error(`${file} is not a file`);
  // a package of ordinary size is read once and served from memory: 10,000 downloads
  // would otherwise allocate (and leave to the GC) 10,000 sets of read buffers
  const body = info.size <= IN_MEMORY_MAX ? await readFile(file) : undefined;
  const host = o.host ?? '127.0.0.1';
  const route = `/agent-package/${randomBytes(16).toString('hex')}/${encodeURIComponent(path.basename(file))}`;

  const server = http.createServer((req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://localhost');
    if (pathname !== route) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405, { allow: 'GET, HEAD' }).end();
    if (body) {
      res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': body.length });
      return void res.end(req.method === 'HEAD' ? undefined : body);
    }
    stat(file).then(
      (s) => {
        res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': s.size });
        if (req.method === 'HEAD') return void res.end();
        const stream = createReadStream(file);
        // a read error mid-body cannot change the status any more: cut the connection so the agent sees a short read
        stream.on('error', () => res.destroy());
        stream.pipe(res);
      },
      () => void res.writeHead(500, { 'content-type': 'text/plain' }).end('the package file is gone\n'),
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const base = (o.publicUrl ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`).replace(/\/+$/, '');

  return {
    url: base + route,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // keep-alive clients (agents, fetch's pool) would otherwise hold close() open
        server.closeAllConnections();
      }),
  };
}
