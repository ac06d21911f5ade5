/**
 * A rollout cut short resumes: the built CLI killed with SIGKILL, or stopped with
 * Ctrl-C (SIGINT), while it waits between the canary and the next wave; a second
 * rollout meanwhile is refused. The rerun (after a kill -9: taking over the stale
 * lock) skips the agent already upgraded and finishes the others.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readProgress } from '../../src/agents/progress.js';
import { agentVersion, registerAgents, startAgent, stopAllAgents, type RunningAgent } from '../helpers/agents.js';
import { bundle, CLI, cli, type Sandbox, sandboxOn401 } from '../helpers/manager.js';

describe('an interrupted agent rollout', () => {
  let sb: Sandbox;
  const fleet: RunningAgent[] = [];

  beforeAll(async () => {
    sb = await sandboxOn401({ extra: ['--no-agents'] });
    for (const id of ['a1', 'a2', 'a3', 'a4']) fleet.push(await startAgent({ version: '3.4.2', token: sb.values.agents.token, id }));
    await registerAgents(sb, fleet, '3.4.2');
  });
  afterAll(async () => {
    await stopAllAgents();
    await sb?.cleanup();
  });

  /** starts `uphop agents rollout`, waits until the canary's outcome is on disk (the CLI then waits 5 s), signals it */
  async function interruptAfterCanary(target: string, signal: NodeJS.Signals) {
    const child = spawn(process.execPath, [CLI, 'agents', 'rollout', '--root', sb.root], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => child.once('exit', (code, sig) => r(sig === 'SIGKILL' ? 137 : code)));
    const file = path.join(sb.root, 'var/lib/uphop/agents', `${target}.json`);
    for (let i = 0; i < 300; i++) {
      const p = await readProgress(file);
      if (p?.outcomes.get('a1')?.status === 'upgraded') break;
      await sleep(50);
    }
    // meanwhile a second rollout is refused: the same agents must not be upgraded twice at once
    const second = await cli(['agents', 'rollout', '--root', sb.root]);
    child.kill(signal);
    return { code: await exited, out, second };
  }

  it('after kill -9: the rerun skips the upgraded canary and finishes the fleet', async () => {
    const killed = await interruptAfterCanary('4.0.1', 'SIGKILL');
    expect(killed.code).toBe(137);
    expect(killed.second.code).toBe(3);
    expect(killed.second.stderr).toMatch(/error \[LOCK_HELD\]: Another uphop \(pid \d+, rolling the agents out to 4\.0\.1 since .*\) holds .*uphop-agents\.lock\./);
    expect(await Promise.all(fleet.map(agentVersion))).toEqual(['4.0.1', '3.4.2', '3.4.2', '3.4.2']);
    const r = await cli(['agents', 'rollout', '--root', sb.root, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ outcome: 'done', rollout: { skipped: 1, upgraded: 3, failed: 0 } });
    expect(await Promise.all(fleet.map(agentVersion))).toEqual(['4.0.1', '4.0.1', '4.0.1', '4.0.1']);
  });

  it('after Ctrl-C: exit 1 saying it was interrupted, and the rerun finishes', async () => {
    const hop = await cli(['install', bundle('4.0.1-to-4.1.1'), '--root', sb.root, '--allow-unsigned', '--no-agents']);
    expect(hop.code, hop.stderr).toBe(0);
    const stopped = await interruptAfterCanary('4.1.1', 'SIGINT');
    expect(stopped.code).toBe(1);
    expect(stopped.out).toContain('The agent rollout to 4.1.1 stopped: interrupted (1 upgraded, 0 already on 4.1.1, 0 failed, 3 not tried)');
    const r = await cli(['agents', 'rollout', '--root', sb.root]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Agents upgraded to 4.1.1: 3 upgraded, 1 already on 4.1.1, 0 failed.');
    expect(await Promise.all(fleet.map(agentVersion))).toEqual(['4.1.1', '4.1.1', '4.1.1', '4.1.1']);
  });
});
