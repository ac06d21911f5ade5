/**
 * One rollout of a fleet, under the agents lock: serve the package, run the
 * engine through the fleet's transports, and record every outcome as it comes: a
 * line in the progress log first (in order, O(1)), then the DB in batches.
 * rollFleet is the composition itself (bench:agents drives it too);
 * runFleetRollout feeds it an opened fleet and words the result.
 */
import path from 'node:path';
import type { Knex } from 'knex';
import { messageOf, usageError } from '../errors.js';
import { silent, type Emit } from '../events.js';
import { runRollout } from './engine.js';
import type { AgentsRequest, AgentsResult, Fleet } from './api.js';
import { servePackage } from './package-server.js';
import type { ProgressLog } from './progress.js';
import { OutcomeWriter } from './registry.js';
import { amqpExchange } from './amqp-transport.js';
import { fleetTransport } from './transports.js';
import type { AgentOutcome, AgentRecord, ResolvedPolicy, Rollout } from './types.js';

export interface RollFleetOptions {
  agents: AgentRecord[];
  target: string;
  policy: ResolvedPolicy;
  token: string;
  /** the agent package and its sha256 from the signed manifest */
  package: { file: string; sha256: string };
  serve?: { host?: string; port?: number; public_url?: string };
  amqpUrl?: string;
  /** the agents' topic exchange (amqpExchange: agents.amqp.exchange, else <product>.agents) */
  amqpExchange: string;
  knex: Knex;
  table: string;
  log: ProgressLog;
  /** outcomes the log holds and the DB lacks: written with the first batch */
  unrecorded?: AgentOutcome[];
  canaryDone?: boolean;
  emit?: Emit;
  signal?: AbortSignal;
  backoffMs?: number;
  pollMs?: number;
}

export async function rollFleet(o: RollFleetOptions): Promise<Rollout> {
  const emit = o.emit ?? silent;
  const server = await servePackage({ file: o.package.file, host: o.serve?.host, port: o.serve?.port, publicUrl: o.serve?.public_url });
  const transport = fleetTransport({ target: o.target, token: o.token, package: { url: server.url, sha256: o.package.sha256 }, amqpUrl: o.amqpUrl, amqpExchange: o.amqpExchange, pollMs: o.pollMs });
  // the progress log already holds every outcome: a DB hiccup must not stop the fleet
  const db = new OutcomeWriter(o.knex, o.table, (e, n) => emit({ type: 'log', level: 'warn', message: `cannot record ${n} agent outcome(s) in the DB: ${messageOf(e)}` }));
  const { log } = o;
  for (const x of o.unrecorded ?? []) db.add(x);
  try {
    return await runRollout({
      agents: o.agents,
      target: o.target,
      policy: o.policy,
      transport,
      emit,
      signal: o.signal,
      backoffMs: o.backoffMs,
      inDoubt: log.progress.inDoubt,
      canaryDone: o.canaryDone,
      onStart: (a) => log.started(a.id, a.address),
      onOutcome: (x) => {
        log.outcome(x);
        db.add(x);
      },
    });
  } finally {
    await Promise.allSettled([transport.close?.(), server.close(), db.flush()]);
  }
}

export async function runFleetRollout(fleet: Fleet, agents: AgentRecord[], policy: ResolvedPolicy, log: ProgressLog, req: AgentsRequest & { canaryDone: boolean }, emit: Emit): Promise<AgentsResult> {
  const { L, manifest } = fleet;
  const section = manifest.agents!;
  const target = section.version;
  const base = { product: fleet.product, target, bundle: fleet.bundle };
  const token = fleet.values.token;
  if (!token)
    throw usageError(
      'AGENTS_NO_TOKEN',
      `The site values (${L.values(fleet.product)}) have no agents.token to authenticate to the agents.`,
      'Add agents: { token: ... } with the token the agents were started with.',
    );
  const rollout = await rollFleet({
    agents,
    target,
    policy,
    token,
    log,
    unrecorded: fleet.unrecorded,
    emit,
    canaryDone: req.canaryDone,
    signal: req.signal,
    backoffMs: req.backoffMs,
    pollMs: req.pollMs,
    package: { file: path.join(L.bundle(fleet.bundle), section.file), sha256: manifest.files[section.file].sha256 },
    serve: fleet.values.serve,
    amqpUrl: fleet.values.amqp?.url,
    amqpExchange: amqpExchange(fleet.product, fleet.values.amqp?.exchange),
    knex: fleet.knex,
    table: fleet.table,
  });
  if (rollout.paused) log.phase('paused');
  else if (!rollout.stopped && rollout.pending === 0) log.progress.phase = undefined; // finished: the next rollout to this version starts afresh
  const counts = `${rollout.upgraded} upgraded, ${rollout.skipped} already on ${target}, ${rollout.failed} failed${rollout.offline ? `, ${rollout.offline} offline (a later run tries them again)` : ''}`;
  if (rollout.stopped) {
    return { ...base, outcome: 'stopped', rollout, message: `The agent rollout to ${target} stopped: ${rollout.stopped} (${counts}, ${rollout.pending} not tried).` };
  }
  if (rollout.paused) {
    return {
      ...base,
      outcome: 'paused',
      rollout,
      message: `The agent rollout to ${target} is paused after the canary (${counts}, ${rollout.pending} waiting): check the canary agents, then run "uphop agents continue" (or "uphop agents abort").`,
    };
  }
  return { ...base, outcome: 'done', rollout, message: `Agents upgraded to ${target}: ${counts}.` };
}
