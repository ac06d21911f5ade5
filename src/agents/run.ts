/**
 * One rollout of a fleet opened by openFleet, under the agents lock: serve the
 * package, run the engine through the fleet's transports, and record every
 * outcome (progress file first, then the DB) as it comes.
 */
import path from 'node:path';
import { messageOf, usageError } from '../errors.js';
import type { Emit } from '../events.js';
import { runRollout } from './engine.js';
import type { AgentsRequest, AgentsResult, Fleet } from './api.js';
import { servePackage } from './package-server.js';
import { saveProgress, type RolloutProgress } from './progress.js';
import { recordOutcome } from './registry.js';
import { fleetTransport } from './transports.js';
import { amqpExchange } from './amqp-transport.js';
import type { AgentOutcome, ResolvedPolicy, Rollout } from './types.js';

export async function runFleetRollout(fleet: Fleet, policy: ResolvedPolicy, req: AgentsRequest, emit: Emit): Promise<AgentsResult> {
  const { L, manifest, knex, table } = fleet;
  const agents = manifest.agents!;
  const target = agents.version;
  const base = { product: fleet.product, target, bundle: fleet.bundle };
  if (!fleet.values.token) throw usageError('AGENTS_NO_TOKEN', `The site values (${L.values(fleet.product)}) have no agents.token to authenticate to the agents.`, 'Add agents: { token: ... } with the token the agents were started with.');
  const entry = manifest.files[agents.file];
  const server = await servePackage({ file: path.join(L.bundle(fleet.bundle), agents.file), host: fleet.values.serve?.host, port: fleet.values.serve?.port, publicUrl: fleet.values.serve?.public_url });
  const transport = fleetTransport({ target, token: fleet.values.token, package: { url: server.url, sha256: entry.sha256 }, amqpUrl: fleet.values.amqp?.url, amqpExchange: amqpExchange(fleet.product, fleet.values.amqp?.exchange) });
  const progress: RolloutProgress = fleet.progress ?? { target, bundle: fleet.bundle, started: new Date().toISOString(), updated: '', outcomes: {} };
  const file = L.agentsProgress(target);
  const onOutcome = async (o: AgentOutcome) => {
    progress.outcomes[o.id] = o;
    await saveProgress(file, progress);
    // the progress file already holds it: a DB hiccup must not stop the fleet
    await recordOutcome(knex, table, o).catch((e) => emit({ type: 'log', level: 'warn', message: `cannot record agent ${o.id} in the DB: ${messageOf(e)}` }));
  };
  let rollout: Rollout;
  try {
    rollout = await runRollout({ agents: fleet.agents, target, policy, transport, emit, signal: req.signal, backoffMs: req.backoffMs, onOutcome });
  } finally {
    await transport.close?.();
    await server.close();
  }
  const counts = `${rollout.upgraded} upgraded, ${rollout.skipped} already on ${target}, ${rollout.failed} failed`;
  if (rollout.stopped) {
    return { ...base, outcome: 'stopped', rollout, message: `The agent rollout to ${target} stopped: ${rollout.stopped} (${counts}, ${rollout.pending} not tried).` };
  }
  return { ...base, outcome: 'done', rollout, message: `Agents upgraded to ${target}: ${counts}.` };
}
