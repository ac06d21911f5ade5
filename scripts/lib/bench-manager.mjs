/**
 * A throwaway Beacon manager for bench-install and bench-rehearse: temp root, SQLite, the process
 * driver, ports that were free a moment ago; and a /health prober that records
 * every probe so the longest unavailable stretch can be read off afterwards.
 */
import http from 'node:http';
import net from 'node:net';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import YAML from 'yaml';

const freePort = () =>
  new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });

export async function createSandbox(parent) {
  const root = await mkdtemp(path.join(parent, 'mgr-'));
  const restPort = await freePort();
  const workerPort = await freePort();
  const values = {
    db: { client: 'sqlite', connection: { filename: 'var/lib/beacon/beacon.db' } },
    services: { driver: 'process' },
    rest_port: restPort,
    worker_port: workerPort,
    agents: { token: 'bench-token' },
  };
  const valuesFile = `${root}-values.yaml`;
  await writeFile(valuesFile, YAML.stringify(values));
  return {
    root,
    valuesFile,
    restPort,
    dbFile: path.join(root, 'var/lib/beacon/beacon.db'),
    async cleanup() {
      await stopServices(root);
      await rm(root, { recursive: true, force: true });
      await rm(valuesFile, { force: true });
    },
  };
}

/** kills every process group the process driver recorded under root (var/run/<product>/*.pid) */
export async function stopServices(root) {
  const dir = path.join(root, 'var', 'run');
  const products = await readdir(dir).catch(() => []);
  for (const p of products) {
    for (const f of await readdir(path.join(dir, p)).catch(() => [])) {
      const pid = Number((await readFile(path.join(dir, p, f), 'utf8').catch(() => '')).split('\n')[0]);
      if (pid > 1)
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
    }
  }
}

/** one GET /health on a fresh connection (a kept-alive socket would hide a restart) */
export function probeHealth(port, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/health', agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => {
        let version;
        try {
          version = JSON.parse(body).version;
        } catch {
          /* not JSON */
        }
        resolve({ status: res.statusCode, version });
      });
      res.on('error', () => resolve({ status: 0 }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0 }));
  });
}

/**
 * Probes every `intervalMs` (the next probe starts intervalMs after the previous
 * one started, or at once when a probe took longer). `until(probe)` may end it.
 */
export function startProber(port, intervalMs = 20) {
  const probes = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const t = Date.now();
      const r = await probeHealth(port);
      probes.push({ t, end: Date.now(), ok: r.status === 200, status: r.status, version: r.version });
      await sleep(Math.max(0, t + intervalMs - Date.now()));
    }
  })();
  return {
    probes,
    /** waits (up to maxMs) for a healthy probe answering `version`, then stops */
    async stopWhenServing(version, maxMs = 15_000) {
      const deadline = Date.now() + maxMs;
      while (Date.now() < deadline && !probes.some((p) => p.ok && p.version === version)) await sleep(intervalMs);
      stopped = true;
      await loop;
      return probes;
    },
  };
}

/** the longest run of failed probes: from the first failed probe's start to the next good one's start */
export function longestOutage(probes) {
  let best = { ms: 0, count: 0, from: undefined, to: undefined };
  for (let i = 0; i < probes.length; i++) {
    if (probes[i].ok) continue;
    let j = i;
    while (j < probes.length && !probes[j].ok) j++;
    const to = j < probes.length ? probes[j].t : probes[j - 1].end;
    if (to - probes[i].t > best.ms) best = { ms: to - probes[i].t, count: j - i, from: probes[i].t, to };
    i = j;
  }
  return best;
}
