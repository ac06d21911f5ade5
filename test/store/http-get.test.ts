/**
 * rawGet, the download fast path, against real sockets on loopback: servers that
 * split their answer oddly, stop early, send too much, stall, or frame the body
 * in chunks; and over TLS (a self-signed certificate for 127.0.0.1, test only).
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { closeIdleConnections, rawGet, UnsupportedFraming } from '../../src/store/http-get.js';
import { openStore } from '../../src/store/open.js';
import { BUCKET, startS3 } from './helpers.js';

const TLS = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'tls');
const servers: net.Server[] = [];
afterEach(async () => {
  closeIdleConnections();
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise((r) => {
          s.closeAllConnections?.();
          s.close(r);
        }),
    ),
  );
});

/** a TCP server that answers every connection with `answer` (raw bytes, written piece by piece) */
async function rawServer(answer: (sock: net.Socket) => void): Promise<URL> {
  const s = net.createServer((sock) => {
    sock.once('data', () => answer(sock));
    sock.on('error', () => {});
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return new URL(`http://127.0.0.1:${(s.address() as net.AddressInfo).port}/obj`);
}

const collect = () => {
  const parts: Buffer[] = [];
  return {
    parts,
    sink: (c: Buffer) => {
      parts.push(Buffer.from(c));
    },
    bytes: () => Buffer.concat(parts),
  };
};
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const body = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251));

describe('rawGet', () => {
  it('hands over a body whose header and bytes arrive split across many reads', async () => {
    const url = await rawServer(async (sock) => {
      const all = Buffer.concat([Buffer.from(`HTTP/1.1 206 Partial Content\r\nContent-Length: ${body.length}\r\nETag: "x"\r\n\r\n`), body]);
      for (let i = 0; i < all.length; i += 700) {
        sock.write(all.subarray(i, i + 700));
        await pause(2);
      }
    });
    const c = collect();
    const res = await rawGet(url, c.sink, { bufferSize: 512 });
    expect(res.status).toBe(206);
    expect(res.headers.etag).toBe('"x"');
    expect(c.bytes().equals(body)).toBe(true);
    expect(c.parts.every((p) => p.length <= 512)).toBe(true);
  });

  it('waits for a slow sink before the buffer is reused', async () => {
    const url = await rawServer((sock) => sock.end(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`), body])));
    const seen: Buffer[] = [];
    await rawGet(
      url,
      async (chunk) => {
        const copy = Buffer.from(chunk);
        await pause(3);
        expect(chunk.equals(copy)).toBe(true); // nothing overwrote it meanwhile
        seen.push(copy);
      },
      { bufferSize: 1000 },
    );
    expect(Buffer.concat(seen).equals(body)).toBe(true);
  });

  it('reads a body without Content-Length to the end of the connection', async () => {
    const url = await rawServer((sock) => sock.end(Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\n\r\n'), body])));
    const c = collect();
    await rawGet(url, c.sink);
    expect(c.bytes().equals(body)).toBe(true);
  });

  it('returns an error answer with its document and gives the sink nothing', async () => {
    const doc = '<?xml version="1.0"?><Error><Code>NoSuchKey</Code></Error>';
    const url = await rawServer((sock) => sock.end(`HTTP/1.1 404 Not Found\r\nContent-Length: ${doc.length}\r\n\r\n${doc}`));
    const c = collect();
    const res = await rawGet(url, c.sink);
    expect(res).toMatchObject({ status: 404, body: doc });
    expect(c.parts).toEqual([]);
  });

  it('fails when the connection closes before the announced length', async () => {
    const url = await rawServer((sock) => sock.end(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`), body.subarray(0, 3000)])));
    const c = collect();
    await expect(rawGet(url, c.sink)).rejects.toThrow(`the connection closed after 3000 of ${body.length} bytes`);
    expect(c.bytes().equals(body.subarray(0, 3000))).toBe(true);
  });

  it('fails when the server sends more than it announced', async () => {
    const url = await rawServer((sock) => sock.end(Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n'), body])));
    await expect(rawGet(url, () => {})).rejects.toThrow('more than the 10 bytes it announced');
  });

  it('reports chunked framing before any byte reaches the sink', async () => {
    const url = await rawServer((sock) => sock.end('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n'));
    const c = collect();
    await expect(rawGet(url, c.sink)).rejects.toBeInstanceOf(UnsupportedFraming);
    expect(c.parts).toEqual([]);
  });

  it('gives up on a server that stalls, with ETIMEDOUT', async () => {
    const url = await rawServer((sock) => sock.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc'));
    await expect(rawGet(url, () => {}, { idleMs: 200 })).rejects.toMatchObject({ code: 'ETIMEDOUT' });
  });

  it("ends with the sink's error and closes the connection", async () => {
    let closed!: Promise<void>;
    const url = await rawServer((sock) => {
      closed = new Promise((r) => sock.on('close', () => r()));
      sock.write(`HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n`);
      sock.write(body);
    });
    const boom = new Error('ENOSPC: no space left on device');
    await expect(
      rawGet(url, async () => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    await closed;
  });

  it('says ECONNREFUSED when nobody listens', async () => {
    await expect(rawGet(new URL('http://127.0.0.1:9/x'), () => {})).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('speaks TLS, checking the certificate against the trusted CAs', async () => {
    const cert = readFileSync(path.join(TLS, 'cert.pem'));
    const s = https.createServer({ cert, key: readFileSync(path.join(TLS, 'key.pem')) }, (req, res) => {
      res.setHeader('content-length', body.length);
      res.end(req.headers.range === 'bytes=0-' ? body : '');
    });
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const url = new URL(`https://127.0.0.1:${(s.address() as net.AddressInfo).port}/obj`);
    const c = collect();
    await rawGet(url, c.sink, { ca: cert, headers: { Range: 'bytes=0-' } });
    expect(c.bytes().equals(body)).toBe(true);
    await expect(rawGet(url, () => {})).rejects.toMatchObject({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
  });
});

describe('S3 store read through a proxy that re-frames bodies as chunked', () => {
  it('falls back to the SDK stream and still hands over every byte', async () => {
    const s3 = await startS3();
    const target = new URL(s3.endpoint);
    const proxy = http.createServer((req, res) => {
      const up = http.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
        const headers = { ...r.headers };
        if (req.method === 'GET') delete headers['content-length']; // node frames the rest as chunked
        res.writeHead(r.statusCode ?? 502, headers);
        r.pipe(res);
      });
      req.pipe(up);
    });
    servers.push(proxy);
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    const store = openStore(`s3://${BUCKET}/chunked`, { ...s3.opts, endpoint: `http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}` });
    try {
      await store.put('obj.bin', body);
      const c = collect();
      await store.read('obj.bin', { range: { start: 10 } }, c.sink);
      expect(c.bytes().equals(body.subarray(10))).toBe(true);
    } finally {
      store.close();
      await s3.stop();
    }
  });
});
