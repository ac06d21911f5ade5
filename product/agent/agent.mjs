/**
 * Beacon agent, runs on remote hosts:
 *   BEACON_AGENT_TOKEN=... node agent.js --home <dir> [--port <port>] [--host 127.0.0.1]
 *     [--amqp <url> | --amqp-file <file>] [--id <id>] [--supervised]
 * Writes <home>/agent.pid. GET /health -> { status, version }. POST /upgrade (Authorization: Bearer <token>)
 * { url | path, sha256 } -> verifies, installs releases/<v>, swaps current, answers 202,
 * then re-execs home/current/agent.js with the same arguments (or, --supervised, exits
 * 0 so systemd restarts it from current). With --amqp the same upgrade is also taken
 * as a command from the broker (see amqp.mjs); --port is then optional. --amqp-file
 * reads the broker URL from a file, so its password is not in the process list.
 */
import http from 'node:http';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { parseArgs } from 'node:util';
import { createLogger } from '../lib/log.mjs';
import { HttpError, sendJson, readJson, listen, onShutdown, closeServer } from '../lib/http.mjs';
import { VERSION } from '../lib/version.mjs';
import { fetchPackage, UpgradeRefused } from './fetch-package.mjs';
import { AGENT_ID, brokerName, startAmqp } from './amqp.mjs';
import { installRelease, AGENT_MAIN } from './release.mjs';

const digest = (s) => createHash('sha256').update(String(s)).digest();
/** compares hashes, so neither the content nor the length of the secret leaks through timing */
const tokenMatches = (presented, expected) => timingSafeEqual(digest(typeof presented === 'string' ? presented : ''), digest(expected));
/** an HttpError that also carries the code the AMQP reply uses */
const refuse = (status, code, message) => Object.assign(new HttpError(status, message), { code });

async function upgrade(home, body, log) {
  const expected = String(body.sha256 ?? '').toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(expected)) throw new UpgradeRefused('BAD_REQUEST', '"sha256" must be 64 hex digits');
  await mkdir(path.join(home, 'downloads'), { recursive: true });
  const file = path.join(home, 'downloads', `${randomBytes(6).toString('hex')}.tgz`);
  try {
    const actual = await fetchPackage(body, file);
    if (actual !== expected) throw new UpgradeRefused('SHA256_MISMATCH', `the package sha256 is ${actual}, expected ${expected}`);
    const version = await installRelease(home, file);
    log.info('upgrade installed', { from: VERSION, to: version });
    return version;
  } finally {
    await rm(file, { force: true });
  }
}

function reexec(home, supervised, log) {
  if (supervised) return process.exit(0);
  const main = path.join(home, 'current', AGENT_MAIN);
  const child = spawn(process.execPath, [main, ...process.argv.slice(2)], { detached: true, stdio: 'inherit', env: process.env });
  child.unref();
  log.info('re-executed', { pid: child.pid, main });
  process.exit(0);
}

async function main() {
  const { values: args } = parseArgs({
    options: {
      home: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      amqp: { type: 'string' },
      'amqp-file': { type: 'string' },
      id: { type: 'string' },
      'token-file': { type: 'string' },
      supervised: { type: 'boolean', default: false },
      'log-level': { type: 'string', default: 'info' },
    },
  });
  if (args['amqp-file']) args.amqp = (await readFile(args['amqp-file'], 'utf8')).trim();
  if (!args.home || (args.port === undefined && !args.amqp)) throw new Error('usage: agent.js --home <dir> --port <port> and/or --amqp <url> --id <id> (token in BEACON_AGENT_TOKEN or --token-file)');
  if (args.amqp && !AGENT_ID.test(args.id ?? '')) throw new Error('--amqp needs --id <id>: letters, digits, "-" and "_" only (it is a word of the routing keys)');
  const token = args['token-file'] ? (await readFile(args['token-file'], 'utf8')).trim() : process.env.BEACON_AGENT_TOKEN;
  if (!token) throw new Error('no token: set BEACON_AGENT_TOKEN or pass --token-file');
  const home = path.resolve(args.home);
  const log = createLogger('agent', args['log-level']);
  await mkdir(home, { recursive: true });
  let busy = false;
  let server = null;
  let bus = null;

  /** POST /upgrade and AMQP commands both come here: one token check, one busy flag, one install path */
  const runUpgrade = async (authorized, readBody) => {
    if (!authorized) throw refuse(401, 'UNAUTHORIZED', 'missing or wrong bearer token');
    if (busy) throw refuse(409, 'BUSY', 'an upgrade is already running');
    busy = true;
    try {
      return await upgrade(home, await readBody(), log);
    } catch (err) {
      busy = false;
      throw err;
    }
    // on success busy stays set: from here on this process only hands over
  };
  const closeAll = () => Promise.all([server && closeServer(server), bus?.close()]);
  const handover = () => closeAll().then(() => reexec(home, args.supervised, log));

  const onRequest = async (req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://localhost');
    try {
      if (req.method === 'GET' && pathname === '/health') return sendJson(res, 200, { status: busy ? 'upgrading' : 'ok', version: VERSION });
      if (req.method !== 'POST' || pathname !== '/upgrade') throw new HttpError(404, `no route ${req.method} ${pathname}`);
      const to = await runUpgrade(tokenMatches(req.headers.authorization, `Bearer ${token}`), () => readJson(req));
      res.once('finish', handover);
      sendJson(res, 202, { status: 'upgrading', from: VERSION, to });
    } catch (err) {
      if (err instanceof UpgradeRefused) return sendJson(res, err.status, { error: err.code, message: err.message });
      if (err instanceof HttpError) return sendJson(res, err.status, { error: err.message });
      log.error('request failed', { error: err.message });
      sendJson(res, 500, { error: 'internal error' });
    }
  };
  if (args.port !== undefined) server = http.createServer(onRequest);
  // the pid file lets an operator (or a test) find the process after a re-exec
  await writeFile(path.join(home, 'agent.pid'), `${process.pid}\n`);
  const port = server ? await listen(server, Number(args.port), args.host) : undefined;
  if (args.amqp) {
    bus = await startAmqp({
      url: args.amqp,
      id: args.id,
      version: VERSION,
      log,
      handover,
      upgrade: (presented, body) => runUpgrade(tokenMatches(presented, token), async () => body),
      query: (presented) => {
        if (!tokenMatches(presented, token)) throw refuse(401, 'UNAUTHORIZED', 'missing or wrong token');
        return busy ? 'upgrading' : 'ok';
      },
    });
  }
  log.info('listening', { version: VERSION, port, home, ...(bus && { broker: brokerName(args.amqp), queue: bus.queue }) });
  onShutdown(log, closeAll);
}

main().catch((err) => {
  process.stderr.write(`beacon agent: ${err.message}\n`);
  process.exit(1);
});
