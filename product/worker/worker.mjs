/**
 * Beacon Manager worker: `node worker.js --config <file>`.
 * Every second: heartbeat + run pending jobs. Its health port (config `port`)
 * opens after the first successful tick and answers GET /health.
 */
import http from 'node:http';
import os from 'node:os';
import { loadConfig, configPort } from '../lib/config.mjs';
import { createLogger } from '../lib/log.mjs';
import { openDb, describeDb } from '../lib/db.mjs';
import { sendJson, listen, onShutdown, closeServer } from '../lib/http.mjs';
import { VERSION } from '../lib/version.mjs';
import { heartbeat, runPendingJobs } from './jobs.mjs';

async function main() {
  const config = loadConfig();
  const log = createLogger('worker', config.log_level);
  const knex = openDb(config.db, config.root ?? '/');
  const workerId = String(config.worker_id ?? `${os.hostname()}-${process.pid}`);
  const intervalMs = Number(config.interval_ms ?? 1000);
  const state = { processed: 0, lastError: null, lastTick: null };

  const server = http.createServer((_req, res) => {
    const ok = state.lastError === null;
    sendJson(res, ok ? 200 : 503, { status: ok ? 'ok' : 'unavailable', version: VERSION, processed: state.processed, last_tick: state.lastTick, reason: state.lastError ?? undefined });
  });

  let timer;
  let stopping = false;
  let listening = false;
  const tick = async () => {
    try {
      await heartbeat(knex, workerId);
      state.processed += await runPendingJobs(knex, log);
      state.lastError = null;
      state.lastTick = new Date().toISOString();
    } catch (err) {
      if (state.lastError !== err.message) log.warn('tick failed', { error: err.message });
      state.lastError = err.message;
    }
    if (!listening && state.lastError === null) {
      listening = true; // a port conflict is fatal: main() rejects and the process exits 1
      const port = await listen(server, configPort(config), config.host ?? '127.0.0.1');
      log.info('listening', { version: VERSION, port, db: describeDb(config.db) });
    }
    if (!stopping) timer = setTimeout(() => tick().catch(fatal), intervalMs);
  };
  onShutdown(log, async () => {
    stopping = true;
    clearTimeout(timer);
    if (listening) await closeServer(server);
    await knex.destroy();
  });
  await tick();
}

function fatal(err) {
  process.stderr.write(`beacon worker: ${err.message}\n`);
  process.exit(1);
}

main().catch(fatal);
