/**
 * Real services on loopback. Tests that need one call `describe.skipIf(!await has('pg'))`
 * through `serviceAvailable`, which prints how to enable them when missing. On CI
 * (CI=true) a missing service is a failure, not a skip: .ci/run starts them first.
 */
import net from 'node:net';

export const SERVICES = {
  pg: { host: '127.0.0.1', port: 5432, how: 'start PostgreSQL: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start' },
  mysql: { host: '127.0.0.1', port: 3306, how: 'start MariaDB: start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd' },
  amqp: { host: '127.0.0.1', port: 5672, how: 'start RabbitMQ: rabbitmq-server -detached' },
} as const;

export type ServiceName = keyof typeof SERVICES;

const probe = (host: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect({ host, port });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(1000, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });

export async function serviceAvailable(name: ServiceName): Promise<boolean> {
  const s = SERVICES[name];
  const ok = await probe(s.host, s.port);
  if (!ok) {
    if (process.env.CI) throw new Error(`${name} is not reachable on ${s.host}:${s.port} but CI must run its tests; ${s.how}`);
    console.warn(`skipping ${name} tests: nothing listens on ${s.host}:${s.port}; to enable them, ${s.how}`);
  }
  return ok;
}

/** connection settings for the test databases (PostgreSQL: trust auth, database `test`) */
export const PG = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' };
export const MYSQL = { host: '127.0.0.1', port: 3306, user: 'root', password: '', database: 'test' };
