/**
 * What the service's clients would see during the copy's install: its first HTTP
 * health check probed every 20 ms on a fresh connection, and the longest run of
 * answers other than 200 (from the first failed probe to the next good one).
 * The prober runs in a worker thread: the installer's own work on the main event
 * loop (hashing, extracting, SQLite) would otherwise delay probes and stretch the
 * outage it measures.
 */
import { Worker } from 'node:worker_threads';

interface Probe {
  t: number;
  end: number;
  ok: boolean;
}

const PROBER = `
const { parentPort, workerData } = require('node:worker_threads');
const url = new URL(workerData.url);
const get = (url.protocol === 'https:' ? require('node:https') : require('node:http')).get;
const probes = [];
let stopped = false;
parentPort.on('message', () => { stopped = true; });
const probe = () => new Promise((resolve) => {
  const req = get(url, { agent: false, timeout: 1000, rejectUnauthorized: false }, (res) => {
    res.resume();
    res.on('end', () => resolve(res.statusCode === 200));
    res.on('error', () => resolve(false));
  });
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.on('error', () => resolve(false));
});
(async () => {
  while (!stopped) {
    const t = Date.now();
    const ok = await probe();
    probes.push({ t, end: Date.now(), ok });
    await new Promise((r) => setTimeout(r, Math.max(0, t + workerData.intervalMs - Date.now())));
  }
  parentPort.postMessage(probes);
})();
`;

export interface Outage {
  url: string;
  ms: number;
  probes: number;
  failed: number;
}

export function startOutageProbe(url: string, intervalMs = 20) {
  const worker = new Worker(PROBER, { eval: true, workerData: { url, intervalMs } });
  const result = new Promise<Probe[]>((resolve) => {
    worker.once('message', (p: Probe[]) => resolve(p));
    worker.once('error', () => resolve([]));
    worker.once('exit', () => resolve([]));
  });
  return {
    async stop(): Promise<Outage> {
      worker.postMessage('stop');
      const probes = await result;
      await worker.terminate();
      return { url, ms: longestOutage(probes), probes: probes.length, failed: probes.filter((p) => !p.ok).length };
    },
  };
}

export function longestOutage(probes: Probe[]): number {
  let best = 0;
  for (let i = 0; i < probes.length; i++) {
    if (probes[i].ok) continue;
    let j = i;
    while (j < probes.length && !probes[j].ok) j++;
    const to = j < probes.length ? probes[j].t : probes[j - 1].end;
    best = Math.max(best, to - probes[i].t);
    i = j;
  }
  return best;
}
