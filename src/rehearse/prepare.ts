/**
 * Brings the copy up as the live manager runs: the installed version's configs
 * rendered again from its kept bundle with the copy's values (a config the site
 * edited is kept, with its ports and root paths moved), the copy's state told that
 * uphop wrote them, then the installed version's services started and checked.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Manifest } from '../bundle/manifest.js';
import { writeFileAtomic } from '../drivers/fsutil.js';
import { failure, refusal } from '../errors.js';
import type { Emit } from '../events.js';
import { createContext, type InstallContext } from '../install/context.js';
import { layout } from '../install/layout.js';
import { writeState, type InstalledState } from '../install/state.js';
import { renderConfigs, underRoot } from '../install/steps/configs.js';
import { checkHealth, startAll } from '../install/steps/services.js';
import { healthChecks } from '../install/units.js';
import type { PortChange } from '../sandbox/ports.js';
import { sharedEndpoints } from './endpoints.js';
import { movePorts } from './values.js';

const sha256 = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');

export interface PreparedCopy {
  ctx: InstallContext;
  siteEdited: string[];
}

export async function prepareCopy(o: {
  liveRoot: string;
  copyRoot: string;
  state: InstalledState;
  liveValues: Record<string, unknown>;
  values: Record<string, unknown>;
  ports: PortChange[];
  emit: Emit;
}): Promise<PreparedCopy> {
  const L = layout(o.copyRoot);
  const id = o.state.history.filter((h) => h.result === 'succeeded').at(-1)?.bundle;
  const dir = id && L.bundle(id);
  const manifest =
    dir &&
    (await readFile(path.join(dir, 'bundle.json'), 'utf8').then(
      (t) => JSON.parse(t) as Manifest,
      () => undefined,
    ));
  if (!id || !dir || !manifest || manifest.to !== o.state.version) {
    throw failure(
      'REHEARSE_NO_KEPT_BUNDLE',
      `The bundle that installed ${o.state.product} ${o.state.version} is not kept under var/lib/uphop/bundles, so the copy's configs cannot be rendered for its own ports and database.`,
      'Rehearse after an install made by uphop (it keeps the bundle of the last hop).',
    );
  }
  const ctx = createContext({ opts: { root: o.copyRoot }, L, emit: o.emit, manifest, bundleDir: dir, id, prev: o.state, values: o.values });
  refuseSharedEndpoints(ctx, o);
  const configs = { ...o.state.configs };
  const siteEdited: string[] = [];
  for (const c of await renderConfigs(ctx)) {
    const liveText = await readFile(path.join(o.liveRoot, c.dest)).catch(() => undefined);
    const file = underRoot(ctx, c.dest);
    if (liveText && sha256(liveText) !== o.state.configs[c.dest]) {
      // edited on the site: the install will keep it, as it would on the live manager
      siteEdited.push(c.dest);
      await writeFileAtomic(file, pointAtCopy(c.dest, liveText.toString('utf8'), o), c.mode);
      continue;
    }
    await writeFileAtomic(file, c.text, c.mode);
    configs[c.dest] = c.hash;
  }
  await writeState(L.state, { ...o.state, configs });
  ctx.prev = { ...o.state, configs };
  await startAll(ctx, 'old');
  await checkHealth(ctx, 'old');
  return { ctx, siteEdited };
}

/** before anything of the copy starts: none of its health checks may reach a live endpoint */
function refuseSharedEndpoints(ctx: InstallContext, o: { liveRoot: string; liveValues: Record<string, unknown> }): void {
  const liveCtx = { ...ctx, root: o.liveRoot, vars: { ...ctx.vars, ...o.liveValues, root: o.liveRoot } };
  const [first] = sharedEndpoints(healthChecks(ctx, 'old'), healthChecks(liveCtx, 'old'));
  if (!first) return;
  const keys = keysHolding(o.liveValues, first.port);
  throw refusal(
    'REHEARSE_SHARED_PORT',
    `The copy's health check "${first.check}" would probe ${first.endpoint}, which is the live manager's own, so the rehearsal would check the live services instead of the copy; nothing was started.`,
    `Only values keys whose name ends in "port" are moved to free ports: name the key that holds this port with ${keys.length ? keys.map((k) => `--port-key ${k}`).join(' or ') : '--port-key KEY (a dotted path, e.g. http.listen)'}.`,
  );
}

/** the dotted values keys whose value is this port number */
function keysHolding(v: unknown, port: number, at: string[] = []): string[] {
  if (v === port || v === String(port)) return [at.join('.')];
  if (!v || typeof v !== 'object' || at[0] === 'db') return [];
  return Object.entries(v).flatMap(([k, x]) => keysHolding(x, port, [...at, k]));
}

/**
 * A site-edited config keeps its edits; what pointed at the live manager is moved:
 * the database (as the template rendered \${db}), the root paths, the ports. A config
 * whose database settings cannot be found to move would let the copy's services
 * write to the live database: the rehearsal stops before starting any.
 */
function pointAtCopy(dest: string, text: string, o: { liveRoot: string; copyRoot: string; liveValues: Record<string, unknown>; values: Record<string, unknown>; ports: PortChange[] }): string {
  const liveDb = JSON.stringify(o.liveValues.db ?? {});
  const server = ((o.liveValues.db as { client?: string } | undefined)?.client ?? 'sqlite') !== 'sqlite';
  let out = text;
  if (server) {
    if (!out.includes(liveDb)) {
      throw failure(
        'REHEARSE_SITE_CONFIG',
        `${dest} was edited on this manager and its database settings are not the ones uphop wrote, so the copy's services could not be kept off the live database.`,
        `Render the db settings in ${dest} with \${db} again (or merge the edit into the template), then rehearse.`,
      );
    }
    out = out.split(liveDb).join(JSON.stringify(o.values.db));
  }
  return movePorts(out.split(o.liveRoot).join(o.copyRoot), o.ports);
}

/** every service either version runs, stopped (the copy's own pidfiles only) */
export async function stopCopy(ctx: InstallContext, names: string[]): Promise<void> {
  for (const name of [...new Set(names)].reverse()) await ctx.services.stop({ name, exec: [] }, { timeoutMs: 10_000 }).catch(() => undefined);
}
