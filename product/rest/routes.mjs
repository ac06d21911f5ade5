/** The REST API of this version: method + path -> handler(knex, req, params). */
import { VERSION, features } from '../lib/version.mjs';
import { HttpError, readJson } from '../lib/http.mjs';
import { schemaProblem, latestMigration } from '../lib/schema.mjs';
import { listItems, getItem, createItem, listTags, createTag } from './items.mjs';
import { enqueueJob, getJob } from './jobs.mjs';

async function health(knex) {
  try {
    await knex.raw('select 1');
  } catch (err) {
    return [503, { status: 'unavailable', version: VERSION, reason: `database unreachable: ${err.message}` }];
  }
  const problem = await schemaProblem(knex);
  if (problem) return [503, { status: 'unavailable', version: VERSION, reason: `schema not ready for ${VERSION}: ${problem}` }];
  return [200, { status: 'ok', version: VERSION, schema: await latestMigration(knex) }];
}

const found = (value, what) => {
  if (value == null) throw new HttpError(404, `${what} not found`);
  return value;
};

const routes = [
  ['GET', /^\/health$/, (k) => health(k)],
  ['GET', /^\/version$/, async () => [200, { version: VERSION }]],
  ['GET', /^\/items$/, async (k) => [200, await listItems(k)]],
  ['POST', /^\/items$/, async (k, req) => [201, await createItem(k, await readJson(req))]],
  ['GET', /^\/items\/(\d+)$/, async (k, _r, [id]) => [200, found(await getItem(k, Number(id)), `item ${id}`)]],
  ['POST', /^\/jobs$/, async (k, req) => [201, await enqueueJob(k, await readJson(req))]],
  ['GET', /^\/jobs\/(\d+)$/, async (k, _r, [id]) => [200, found(await getJob(k, Number(id)), `job ${id}`)]],
];
if (features.tags) {
  routes.push(['GET', /^\/tags$/, async (k) => [200, await listTags(k)]], ['POST', /^\/tags$/, async (k, req) => [201, await createTag(k, await readJson(req))]]);
}

/** the matching handler, or an HttpError 404/405 */
export function route(method, pathname) {
  let pathMatched = false;
  for (const [m, re, handler] of routes) {
    const match = re.exec(pathname);
    if (!match) continue;
    pathMatched = true;
    if (m === method) return (knex, req) => handler(knex, req, match.slice(1));
  }
  throw new HttpError(pathMatched ? 405 : 404, pathMatched ? `${method} not allowed on ${pathname}` : `no route ${pathname} in ${VERSION}`);
}
