/**
 * A second manager next to the first (a rehearsal's copy, a test sandbox) must
 * not take its ports. The rule, product-neutral (docs/rehearse.md): every values
 * key whose name ends in "port" (any case: port, rest_port, httpPort), outside the
 * `db` section (that is the database server's, rewritten with the database), whose
 * value is a TCP port number, gets a free loopback port.
 */
import net from 'node:net';

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

/** a copy of values with every port key moved to a free port; 0 ("any port") stays 0 */
export async function withFreePorts(values: Record<string, unknown>, next: () => Promise<number> = freePort): Promise<{ values: Record<string, unknown>; ports: PortChange[] }> {
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
      else if (PORT_KEY.test(k) && asPort(x) !== undefined && asPort(x) !== 0) {
        const to = await fresh();
        ports.push({ key: [...at, k].join('.'), from: asPort(x)!, to });
        out[k] = to;
      } else out[k] = await walk(x, [...at, k]);
    }
    return out;
  };
  return { values: (await walk(values, [])) as Record<string, unknown>, ports };
}
