/**
 * One rollout over a mixed fleet with the built CLI: two agents reached over their
 * own HTTP API and two listening only on RabbitMQ (address amqp:<id>, no inbound
 * port needed), the broker named in the site values. The broker's password never
 * reaches the output.
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentVersion, registerAgents, startAgent, stopAllAgents, type RunningAgent } from '../helpers/agents.js';
import { bundle, cli, type Sandbox, sandboxOn401 } from '../helpers/manager.js';
import { serviceAvailable } from '../helpers/services.js';

const BROKER = 'amqp://guest:guest@127.0.0.1:5672';
describe.skipIf(!(await serviceAvailable('amqp')))('a rollout over HTTP and AMQP agents at once', () => {
  let sb: Sandbox;
  const fleet: RunningAgent[] = [];

  beforeAll(async () => {
    sb = await sandboxOn401({ extra: ['--no-agents'] });
    // the broker is a site value: added to the manager's own copy, as an operator would
    const kept = path.join(sb.root, 'etc/beacon/values.yaml');
    const values = YAML.parse(await readFile(kept, 'utf8'));
    values.agents.amqp = { url: BROKER };
    await writeFile(kept, YAML.stringify(values));
    const token = sb.values.agents.token;
    const run = randomBytes(4).toString('hex');
    fleet.push(await startAgent({ version: '3.4.2', token, id: 'h1' }), await startAgent({ version: '3.4.2', token, id: 'h2' }));
    // these keep an HTTP port only so the test can ask their version; the manager reaches them through the broker
    fleet.push(await startAgent({ version: '3.4.2', token, id: `q1-${run}`, amqp: BROKER }), await startAgent({ version: '3.4.2', token, id: `q2-${run}`, amqp: BROKER }));
    await registerAgents(sb, fleet, '3.4.2');
  });
  afterAll(async () => {
    await stopAllAgents();
    await sb?.cleanup();
  });

  it('upgrades all four, each through its own transport', async () => {
    expect(fleet.filter((a) => a.address.startsWith('amqp:'))).toHaveLength(2);
    const r = await cli(['agents', 'rollout', '--root', sb.root, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ outcome: 'done', target: '4.0.1', rollout: { total: 4, upgraded: 4, failed: 0 } });
    expect(await Promise.all(fleet.map(agentVersion))).toEqual(['4.0.1', '4.0.1', '4.0.1', '4.0.1']);
    expect(r.stdout + r.stderr).not.toContain('guest:guest');
    const rows = await sb.db()('agents').select('id', 'version', 'state');
    expect(rows.every((x: any) => x.version === '4.0.1' && x.state === 'ok')).toBe(true);
  });

  it('an amqp: agent without agents.amqp.url in the values is one clear failure, not retried', async () => {
    const kept = path.join(sb.root, 'etc/beacon/values.yaml');
    const values = YAML.parse(await readFile(kept, 'utf8'));
    delete values.agents.amqp;
    await writeFile(kept, YAML.stringify(values));
    const hop = await cli(['install', bundle('4.0.1-to-4.1.1'), '--root', sb.root, '--allow-unsigned', '--no-agents']);
    expect(hop.code, hop.stderr).toBe(0);
    const r = await cli(['agents', 'rollout', '--root', sb.root]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('The agent rollout to 4.1.1 stopped: 2 agents failed, more than max_failures 0');
    expect(r.stdout).toMatch(/q1-\w+ \(amqp:q1-\w+\) failed after 1 attempt\(s\): agent q1-\w+ is reached through the broker \(amqp:q1-\w+\), but the site values have no agents\.amqp\.url/);
  });
});
