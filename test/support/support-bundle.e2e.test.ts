/**
 * uphop support-bundle: one archive with what support needs, and none of the
 * secrets planted in the values (password, token, secret keys, a DB URL with a
 * password) or in a service log line, found by grepping the extracted archive.
 */
import { execFileSync } from 'node:child_process';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { bundle, cli, sandbox, type Sandbox } from '../helpers/manager.js';
import { PG, serviceAvailable } from '../helpers/services.js';
import { ensureInflightTable, markInflight } from '../../src/migrate/inflight.js';

const rand = () => Math.random().toString(36).slice(2, 10);
const SECRETS = {
  token: `tok-${rand()}`,
  password: `pw-${rand()}`,
  secret: `sec-${rand()}`,
  dbPassword: `dbpw-${rand()}`,
  logUrlPassword: `logpw-${rand()}`,
  apiKey: `key-${rand()}`,
  auth: `auth-${rand()}`,
  // YAML reads this as a number
  numericPassword: String(10_000_000 + Math.floor(Math.random() * 89_999_999)),
};

const usePg = await serviceAvailable('pg');

describe(`support-bundle (${usePg ? 'pg with a password in the DB URL' : 'sqlite'})`, () => {
  let sb: Sandbox;
  let out: string;
  let extracted: string;
  beforeAll(async () => {
    sb = await sandbox(usePg ? 'pg' : 'sqlite');
    const v = sb.values;
    v.agents.token = SECRETS.token;
    v.smtp = { host: 'mail.example', password: SECRETS.password };
    v.api_secret = SECRETS.secret;
    v.license_key = SECRETS.apiKey;
    v.cache = { host: 'redis.example', auth: SECRETS.auth };
    v.ldap = { bind_passphrase: Number(SECRETS.numericPassword) };
    // trust auth: the password is not checked, but it is in the URL everything reads
    if (usePg) v.db.connection = { url: `postgres://${PG.user}:${SECRETS.dbPassword}@${PG.host}:${PG.port}/${PG.database}`, schema: v.db.connection.schema };
    else v.reporting = { url: `postgres://report:${SECRETS.dbPassword}@db.example:5432/reports` };
    await writeFile(sb.valuesFile, YAML.stringify(v));
    const r = await cli(['install', bundle('none-to-3.4.2'), '--root', sb.root, '--values', sb.valuesFile, '--allow-unsigned']);
    if (r.code !== 0) throw new Error(r.stderr);
    await appendFile(
      path.join(sb.root, 'var/log/beacon/rest-service.log'),
      `${JSON.stringify({ msg: `upstream said: bad token ${SECRETS.token}` })}\n${JSON.stringify({ msg: `redis AUTH ${SECRETS.auth} refused; ldap bind with ${SECRETS.numericPassword} failed` })}\n${JSON.stringify({ msg: `connecting to amqp://guest:${SECRETS.logUrlPassword}@broker:5672/` })}\n`,
    );
    // a marker as a MariaDB run killed inside a migration's up leaves it (planted: any database has the table then)
    await ensureInflightTable(sb.db());
    await markInflight(sb.db(), '3.4.3/001-add-column.mjs', 'c'.repeat(64), 'd'.repeat(64));
    out = await mkdtemp(path.join(tmpdir(), 'uphop-support-test-'));
    extracted = path.join(out, 'x');
    const s = await cli(['support-bundle', '--root', sb.root, '--out', path.join(out, 'support.tar.gz'), '--json']);
    if (s.code !== 0) throw new Error(s.stderr);
    execFileSync('mkdir', ['-p', extracted]);
    execFileSync('tar', ['-xzf', path.join(out, 'support.tar.gz'), '-C', extracted]);
  });
  afterAll(async () => {
    await sb?.cleanup();
    if (out) await rm(out, { recursive: true, force: true });
  });

  it('holds none of the planted secrets', () => {
    for (const [what, secret] of Object.entries(SECRETS)) {
      let found = '';
      try {
        found = execFileSync('grep', ['-r', '-l', '-F', secret, extracted], { encoding: 'utf8' });
      } catch {
        /* grep exits 1: not found */
      }
      expect(found, `${what} leaked into ${found}`).toBe('');
    }
  });

  it('holds state, history, journal, migrations and in-flight markers, preflight (now and last recorded), reports, log tails, manifests, platform and the scrubbed values', async () => {
    const [top] = execFileSync('ls', [extracted], { encoding: 'utf8' }).trim().split('\n');
    const d = path.join(extracted, top);
    const files = execFileSync('find', ['.', '-type', 'f'], { cwd: d, encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((f) => f.slice(2))
      .sort();
    expect(files).toEqual(
      expect.arrayContaining([
        'state.json',
        'history.json',
        'values.yaml',
        'journal/beacon-none-to-3.4.2.jsonl',
        'uphop_migrations.json',
        'uphop_migrations_inflight.json',
        'platform.json',
        'preflight.json',
        'logs/beacon/rest-service.log',
        'logs/beacon/worker.log',
        'bundles/beacon-none-to-3.4.2/bundle.json',
      ]),
    );
    expect(files.some((f) => /^reports\/.*-install-beacon-none-to-3\.4\.2\.html$/.test(f))).toBe(true);
    expect(JSON.parse(await readFile(path.join(d, 'state.json'), 'utf8'))).toMatchObject({ product: 'beacon', version: '3.4.2' });
    expect(JSON.parse(await readFile(path.join(d, 'uphop_migrations.json'), 'utf8')).map((m: any) => m.name)).toEqual(['3.4.2/001-create-core-tables.mjs']);
    expect(JSON.parse(await readFile(path.join(d, 'platform.json'), 'utf8'))).toMatchObject({ node: process.version, database: expect.stringMatching(usePg ? /PostgreSQL/ : /sqlite/) });
    expect(JSON.parse(await readFile(path.join(d, 'uphop_migrations_inflight.json'), 'utf8'))).toEqual([
      { name: '3.4.3/001-add-column.mjs', checksum: 'c'.repeat(64), schema_before: 'd'.repeat(64), started_at: expect.any(String) },
    ]);
    expect(JSON.parse(await readFile(path.join(d, 'preflight.json'), 'utf8'))).toMatchObject({
      now: { installed: 'beacon 3.4.2', database: 'reachable', lock: 'free' },
      lastRecorded: { report: expect.stringMatching(/-install-beacon-none-to-3\.4\.2\.json$/), preflight: [{ status: 'end', detail: expect.stringMatching(/^passed: platform, lock, /) }] },
    });
    const values = YAML.parse(await readFile(path.join(d, 'values.yaml'), 'utf8'));
    expect(values).toMatchObject({ agents: { token: '***' }, smtp: { host: 'mail.example', password: '***' }, api_secret: '***', rest_port: sb.restPort });
    const log = await readFile(path.join(d, 'logs/beacon/rest-service.log'), 'utf8');
    expect(log).toContain('bad token ***');
    expect(log).toContain('amqp://guest:***@broker');
  });
});
