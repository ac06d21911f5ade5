#!/usr/bin/env node
/**
 * Beacon's verify hook (uphop test-path): after a hop, the new version answers
 * on its REST port with its own version and still serves the seeded items.
 */
export async function verify({ context: knex, version, values }) {
  const base = `http://127.0.0.1:${values.rest_port}`;
  const health = await fetch(`${base}/health`, { signal: AbortSignal.timeout(10_000) });
  const body = await health.json();
  if (health.status !== 200 || body.version !== version) throw new Error(`GET /health answered ${health.status} ${JSON.stringify(body)}, expected 200 from ${version}`);
  const [{ n }] = await knex('items').count({ n: '*' });
  const items = await fetch(`${base}/items`, { signal: AbortSignal.timeout(10_000) });
  if (items.status !== 200) throw new Error(`GET /items answered ${items.status}`);
  if (!(Number(n) > 0)) throw new Error('the items table is empty after the hop');
  return `${version} healthy, ${n} items`;
}
