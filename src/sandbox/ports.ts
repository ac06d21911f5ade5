/**
 * A second manager next to the first (a rehearsal's copy, a test sandbox) must
 * not take its ports. The rule, product-neutral (docs/rehearse.md): every values
 * key whose name ends in "port" (any case: port, rest_port, httpPort), outside the
 * `db` section (that is the database server's, rewritten with the database), whose
 * value is a TCP port number, gets a free loopback port.
 */
import net from 'node:net';
import { usageError } from '../errors.js';

export interface PortChange {
  key: string;
  from: number;
  to: number;
}

export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });

const PORT_KEY = /port$/i;

const asPort = (v: unknown): number | undefined => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  return Number.isInteger(n) && n >= 0 && n <= 65535 ? n : undefined;
};

/**
 * A copy of values with every port key moved to a free port; 0 ("any port") stays 0.
 * `extraKeys`: dotted paths of further values holding a port (a key not named …port);
 * each must hold a port number, or the run stops before anything starts.
 */
export async function withFreePorts(
  values: Record<string, unknown>,
  next: () => Promise<number> = freePort,
  extraKeys: readonly string[] = [],
): Promise<{ values: Record<string, unknown>; ports: PortChange[] }> {
  checkPortKeys(values, extraKeys);
  const ports: PortChange[] = [];
  const taken = new Set<number>();
  const fresh = async () => {
    for (;;) {
      const p = await next();
      if (!taken.has(p)) return (taken.add(p), p);
    }
  };
  const walk = async (v: unknown, at: string[]): Promise<unknown> => {
    if (Array.isArray(v)) return Promise.all(v.map((x, i) => walk(x, [...at, String(i)])));
    if (!v || typeof v !== 'object') return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (at.length === 0 && k === 'db') out[k] = x;
      else if ((PORT_KEY.test(k) || extraKeys.includes([...at, k].join('.'))) && asPort(x) !== undefined && asPort(x) !== 0) {
        const to = await fresh();
        ports.push({ key: [...at, k].join('.'), from: asPort(x)!, to });
        out[k] = to;
      } else out[k] = await walk(x, [...at, k]);
    }
    return out;
  };
  return { values: (await walk(values, [])) as Record<string, unknown>, ports };
}

/** each extra key must name a port number of the values (not under db:) */
export function checkPortKeys(values: Record<string, unknown>, extraKeys: readonly string[]): void {
  for (const key of extraKeys) {
    const v = key.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' && Object.hasOwn(o, k) ? (o as Record<string, unknown>)[k] : undefined), values);
    if (key.split('.')[0] === 'db' || asPort(v) === undefined || asPort(v) === 0)
      throw usageError(
        'PORT_KEY_INVALID',
        `--port-key ${key} does not name a port number in the site values${v === undefined ? ' (there is no such key)' : ` (it holds ${JSON.stringify(v)})`}.`,
        'Give the dotted path of a values key whose value is a port number, e.g. --port-key http.listen; db settings are moved with the database.',
      );
  }
}
