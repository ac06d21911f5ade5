/**
 * What the service's clients would see during the copy's install: its first HTTP
 * health check probed every 20 ms on a fresh connection, and the longest run of
 * answers other than 200 (from the first failed probe to the next good one).
 */
import http from 'node:http';
import https from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';

interface Probe { t: number; end: number; ok: boolean }

function probe(url: URL, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const get = url.protocol === 'https:' ? https.get : http.get;
    const req = get(url, { agent: false, timeout: timeoutMs, rejectUnauthorized: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
      res.on('error', () => resolve(false));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(false));
  });
}

export interface Outage { url: string; ms: number; probes: number; failed: number }

export function startOutageProbe(rawUrl: string, intervalMs = 20) {
  const url = new URL(rawUrl);
  const probes: Probe[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const t = Date.now();
      const ok = await probe(url, 1000);
      probes.push({ t, end: Date.now(), ok });
      await sleep(Math.max(0, t + intervalMs - Date.now()));
    }
  })();
  return {
    async stop(): Promise<Outage> {
      stopped = true;
      await loop;
      return { url: rawUrl, ms: longestOutage(probes), probes: probes.length, failed: probes.filter((p) => !p.ok).length };
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
