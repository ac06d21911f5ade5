/**
 * Beacon Manager REST service: `node server.js --config <file>`.
 * Config (YAML): port, host, root, log_level, db { client, connection }.
 */
import http from 'node:http';
import { loadConfig, configPort } from '../lib/config.mjs';
import { createLogger } from '../lib/log.mjs';
import { openDb, describeDb } from '../lib/db.mjs';
import { HttpError, sendJson, listen, onShutdown, closeServer } from '../lib/http.mjs';
import { VERSION } from '../lib/version.mjs';
import { BadRequest } from './items.mjs';
import { route } from './routes.mjs';

async function main() {
  const config = loadConfig();
  const log = createLogger('rest-service', config.log_level);
  const knex = openDb(config.db, config.root ?? '/');

  const server = http.createServer(async (req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://localhost');
    try {
      const [status, body] = await route(req.method ?? 'GET', pathname)(knex, req);
      sendJson(res, status, body);
    } catch (err) {
      if (err instanceof HttpError) return sendJson(res, err.status, { error: err.message });
      if (err instanceof BadRequest) return sendJson(res, 400, { error: err.message });
      log.error('request failed', { method: req.method, path: pathname, error: err.message });
      sendJson(res, 500, { error: 'internal error' });
    }
  });
  const port = await listen(server, configPort(config), config.host ?? '127.0.0.1');
  log.info('listening', { version: VERSION, port, db: describeDb(config.db) });
  onShutdown(log, async () => {
    await closeServer(server);
    await knex.destroy();
  });
}

main().catch((err) => {
  process.stderr.write(`beacon rest-service: ${err.message}\n`);
  process.exit(1);
});
