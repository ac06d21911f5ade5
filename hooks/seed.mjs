#!/usr/bin/env node
/**
 * Beacon's seed hook (uphop test-path): a few thousand rows in every table of the
 * installed schema, so each hop's migrations, backfills and downs run on real
 * data. Called by uphop with { context: knex, version, rows } (docs/hop-spec.md).
 * Jobs are written finished, so a running worker leaves them alone.
 */
const batch = async (knex, table, rows) => {
  for (let i = 0; i < rows.length; i += 200) await knex(table).insert(rows.slice(i, i + 200));
};

export async function seed({ context: knex, version, rows = 3000 }) {
  const has = (t) => knex.schema.hasTable(t);
  const col = (t, c) => knex.schema.hasColumn(t, c);
  const nameCol = (await col('items', 'title')) ? 'title' : 'name';
  const slug = await col('items', 'slug');
  await batch(knex, 'items', Array.from({ length: rows }, (_, i) => ({ [nameCol]: `Seed item ${i} of ${version}`, ...(slug ? { slug: `seed-item-${i}` } : {}) })));
  await batch(knex, 'jobs', Array.from({ length: Math.ceil(rows / 10) }, (_, i) => ({ kind: i % 2 ? 'noop' : 'count-items', payload: JSON.stringify({ i }), state: 'done', result: 'ok' })));
  await batch(knex, 'settings', Array.from({ length: 10 }, (_, i) => ({ key: `seed.setting.${i}`, value: String(i) })));
  await batch(knex, 'agents', Array.from({ length: 5 }, (_, i) => ({ id: `seed-agent-${i}`, address: `http://127.0.0.1:9/seed-${i}`, version, state: 'unknown' })));
  if (await has('worker_heartbeats')) await batch(knex, 'worker_heartbeats', Array.from({ length: 3 }, (_, i) => ({ worker_id: `seed-worker-${i}` })));
  let tagged = 0;
  if (await has('tags')) {
    await batch(knex, 'tags', Array.from({ length: 20 }, (_, i) => ({ name: `seed-tag-${i}` })));
    const tags = await knex('tags').select('id').orderBy('id');
    const items = await knex('items').select('id').orderBy('id').limit(Math.ceil(rows / 2));
    await batch(knex, 'item_tags', items.map((it, i) => ({ item_id: it.id, tag_id: tags[i % tags.length].id })));
    tagged = items.length;
  }
  return `${rows} items, ${Math.ceil(rows / 10)} jobs, 10 settings, 5 agents${tagged ? `, 20 tags, ${tagged} item tags` : ''}`;
}
