/** Platform facts for support: the machine, Node, uphop, the disk under the root, the database server. */
import os from 'node:os';
import { statfs } from 'node:fs/promises';
import type { Knex } from 'knex';
import { dialectOf } from '../drivers/db/dialect.js';
import { messageOf } from '../errors.js';
import { VERSION } from '../version.js';

export async function platformFacts(root: string, knex?: Knex): Promise<Record<string, unknown>> {
  const disk = await statfs(root).then(
    (s) => ({ freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize }),
    (e) => ({ error: messageOf(e) }),
  );
  return {
    uphop: VERSION,
    node: process.version,
    modules: process.versions.modules,
    os: { type: os.type(), release: os.release(), platform: process.platform, arch: process.arch, hostname: os.hostname() },
    cpus: os.cpus().length,
    memory: { totalBytes: os.totalmem(), freeBytes: os.freemem() },
    uptimeSeconds: Math.round(os.uptime()),
    disk,
    database: knex ? await dbVersion(knex) : undefined,
  };
}

async function dbVersion(knex: Knex): Promise<string> {
  try {
    const d = dialectOf(knex);
    if (d === 'sqlite') return `sqlite ${(await knex.raw('select sqlite_version() as v'))[0].v}`;
    if (d === 'pg') return String((await knex.raw('select version() as v')).rows[0].v);
    return `mysql ${String((await knex.raw('select version() as v'))[0][0].v)}`;
  } catch (e) {
    return `unreachable: ${messageOf(e)}`;
  }
}
