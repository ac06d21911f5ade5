/** The items/tags domain, speaking this version's schema (see lib/version.mjs features). */
import { features } from '../lib/version.mjs';
import { slugify } from '../lib/slug.mjs';
import { insertReturningId } from '../lib/db.mjs';

export class BadRequest extends Error {}

const titleKey = features.titleColumn; // "name" before 4.2.0, "title" from 4.2.0

function toItem(row, tags) {
  const item = { id: Number(row.id), [titleKey]: row[titleKey], created_at: row.created_at };
  if (features.slug) item.slug = row.slug;
  if (tags) item.tags = tags;
  return item;
}

async function tagsOf(knex, itemIds) {
  if (!features.tags || itemIds.length === 0) return null;
  const rows = await knex('item_tags').join('tags', 'tags.id', 'item_tags.tag_id').whereIn('item_tags.item_id', itemIds).select('item_tags.item_id', 'tags.name').orderBy('tags.name');
  const byItem = new Map(itemIds.map((id) => [Number(id), []]));
  for (const r of rows) byItem.get(Number(r.item_id))?.push(r.name);
  return byItem;
}

export async function listItems(knex) {
  const rows = await knex('items').select('*').orderBy('id');
  const tags = await tagsOf(
    knex,
    rows.map((r) => r.id),
  );
  return rows.map((r) => toItem(r, tags?.get(Number(r.id))));
}

export async function getItem(knex, id) {
  const row = await knex('items').where({ id }).first();
  if (!row) return null;
  const tags = await tagsOf(knex, [row.id]);
  return toItem(row, tags?.get(Number(row.id)));
}

/** 4.2.0 still accepts "name" from older clients, but answers with "title" */
export async function createItem(knex, body) {
  const title = body?.[titleKey] ?? body?.name;
  if (typeof title !== 'string' || title.trim() === '') throw new BadRequest(`"${titleKey}" must be a non-empty string`);
  const tagNames = features.tags && Array.isArray(body.tags) ? body.tags.map(String) : [];
  const id = await knex.transaction(async (trx) => {
    const row = { [titleKey]: title.trim() };
    if (features.slug) row.slug = slugify(title);
    const itemId = await insertReturningId(trx, 'items', row);
    for (const name of new Set(tagNames)) {
      const tagId = await ensureTag(trx, name);
      await trx('item_tags').insert({ item_id: itemId, tag_id: tagId });
    }
    return itemId;
  });
  return getItem(knex, id);
}

async function ensureTag(knex, name) {
  await knex('tags').insert({ name }).onConflict('name').ignore();
  return Number((await knex('tags').where({ name }).first('id')).id);
}

export async function listTags(knex) {
  const rows = await knex('tags').select('id', 'name').orderBy('name');
  return rows.map((r) => ({ id: Number(r.id), name: r.name }));
}

export async function createTag(knex, body) {
  if (typeof body?.name !== 'string' || body.name.trim() === '') throw new BadRequest('"name" must be a non-empty string');
  const id = await ensureTag(knex, body.name.trim());
  return { id, name: body.name.trim() };
}
