/**
 * Agent rollout end to end with the built CLI: a sandbox manager on 3.4.2, five
 * real Beacon agents registered in its DB, one of them (the canary) started with
 * another token. The install of 3.4.2 -> 4.0.1 succeeds for the manager and stops
 * the rollout at the canary (exit 1); a dry run shows the waves left; once that
 * agent is fixed, `uphop agents rollout` finishes the fleet, and a rerun has
 * nothing to do.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentVersion, registerAgents, startAgent, stopAllAgents, type RunningAgent } from '../helpers/agents.js';
import { bundle, cli, health, sandbox, type Sandbox } from '../helpers/manager.js';
import { readReports } from '../helpers/reports.js';

describe('agent rollout after an install', () => {
  let sb: Sandbox;
  let token: string;
  const fleet: RunningAgent[] = [];
  const output: string[] = [];
  const run = async (args: string[]) => {
    const r = await cli([...args, '--root', sb.root]);
    output.push(r.stdout, r.stderr);
    return r;
  };

  beforeAll(async () => {
    sb = await sandbox('sqlite');
    token = sb.values.agents.token;
    const r = await run(['install', bundle('none-to-3.4.2'), '--values', sb.valuesFile, '--allow-unsigned']);
    expect(r.code, r.stderr).toBe(0);
    fleet.push(await startAgent({ version: '3.4.2', token: 'not-the-managers-token', id: 'a0' }));
    for (const id of ['a1', 'a2', 'a3', 'a4']) fleet.push(await startAgent({ version: '3.4.2', token, id }));
    await registerAgents(sb, fleet, '3.4.2');
  });
  afterAll(async () => {
    await stopAllAgents();
    await sb?.cleanup();
  });

  it('installs the manager, then stops the rollout at the failed canary (exit 1)', async () => {
    const r = await run(['install', bundle('3.4.2-to-4.0.1'), '--allow-unsigned']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('installed and healthy');
    expect(r.stdout).toContain('The agent rollout to 4.0.1 stopped: the canary failed');
    expect(r.stdout).toMatch(/a0 \(http:\/\/127\.0\.0\.1:\d+\) failed after 1 attempt\(s\): agent a0 at .* rejected the token/);
    expect(r.stdout).toContain('run "uphop agents rollout" again');
    expect((await health(sb.restPort)).body.version).toBe('4.0.1');
    for (const a of fleet) expect(await agentVersion(a)).toBe('3.4.2');
    expect(await sb.db()('agents').where({ id: 'a0' }).first()).toMatchObject({ state: 'failed', version: '3.4.2' });
  });

  it('a dry run lists the waves that would resume it: the canary first, then one batch', async () => {
    const r = await run(['agents', 'rollout', '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('5 agent(s) would be upgraded to 4.0.1 in 2 wave(s)');
    expect(r.stdout).toContain('wave 1 (canary): a0');
    expect(r.stdout).toContain('wave 2 (batch): a1, a2, a3, a4');
    expect(await agentVersion(fleet[0])).toBe('3.4.2');
  });

  it("the next hop's install --dry-run shows the agent waves it would run", async () => {
    const r = await run(['install', bundle('4.0.1-to-4.1.1'), '--allow-unsigned', '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('unlock -> agent rollout -> notify');
    expect(r.stdout).toContain('agents: upgrade to 4.1.1 after the manager is healthy, in 2 wave(s):');
    expect(r.stdout).toContain('wave 1 (canary): a0');
    const skip = await run(['install', bundle('4.0.1-to-4.1.1'), '--allow-unsigned', '--dry-run', '--no-agents']);
    expect(skip.stdout).toContain('agents: not rolled out (--no-agents)');
    expect(skip.stdout).not.toContain('agent rollout ->');
  });

  it('lists the fleet with the last error', async () => {
    const r = await run(['agents']);
    expect(r.code, r.stderr).toBe(0);
    // the summary first, failures grouped by reason; the list with --all
    expect(r.stdout).toContain('5 agent(s); 0 on 4.0.1, the agent version of the installed bundle');
    expect(r.stdout).toContain('1 failed: rejected the token (e.g. a0)');
    expect(r.stdout).not.toMatch(/a1 +http/);
    const all = await run(['agents', '--all']);
    expect(all.stdout).toMatch(/a0 +http:\/\/127\.0\.0\.1:\d+ +3\.4\.2 +failed +agent a0 at .* rejected the token/);
    expect(all.stdout).toMatch(/a4 +http:\/\/127\.0\.0\.1:\d+ +3\.4\.2 +ok/);

    const st = await run(['status']);
    expect(st.stdout).toContain('agents: 0 of 5 on 4.0.1, 1 failed');
    expect(st.stdout).toContain(`next: uphop agents rollout --root ${sb.root} (5 agent(s) not on 4.0.1)`);
  });

  it('finishes the fleet once the canary is fixed, and a rerun has nothing to do', async () => {
    await fleet[0].stop();
    fleet[0] = await startAgent({ version: '3.4.2', token, id: 'a0' });
    await sb.db()('agents').where({ id: 'a0' }).update({ address: fleet[0].address });
    const r = await run(['agents', 'rollout', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({ outcome: 'done', target: '4.0.1', rollout: { total: 5, upgraded: 5, failed: 0, pending: 0, waves: 2 } });
    for (const a of fleet) expect(await agentVersion(a)).toBe('4.0.1');
    const rows = await sb.db()('agents').orderBy('id');
    expect(rows.map((x) => [x.id, x.version, x.state])).toEqual(fleet.map((a) => [a.id, '4.0.1', 'ok']));
    const progress = await stat(path.join(sb.root, 'var/lib/uphop/agents/4.0.1.log'));
    expect(progress.mode & 0o777).toBe(0o600);
    // its report: the totals, the waves and the agents done over time
    const { file, report } = (await readReports(sb.root)).at(-1)!;
    expect(result.report).toBe(file.replace(/\.json$/, '.html'));
    expect(path.basename(file)).toMatch(/-agents-to-4\.0\.1\.json$/);
    expect(report).toMatchObject({ kind: 'agents', title: 'Agent rollout of beacon agents 3.4.2 -> 4.0.1: succeeded', outcome: 'succeeded' });
    expect(report.rollout).toMatchObject({ upgraded: 5, failed: 0, total: 5 });
    expect(report.rollout.waves.map((w: any) => w.label)).toEqual(['wave 1/2 (canary): 1 agent', 'wave 2/2 (batch): 4 agents']);
    expect(report.rollout.points.at(-1)).toMatchObject({ done: 5, total: 5, upgraded: 5, failed: 0 });

    const reports = (await readReports(sb.root)).length;
    const again = await run(['agents', 'rollout']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('All 5 agent(s) run 4.0.1: nothing to do.');
    expect(await readReports(sb.root)).toHaveLength(reports); // nothing changed, nothing to report
  });

  it('--no-agents installs the next hop for the manager only', async () => {
    const r = await run(['install', bundle('4.0.1-to-4.1.1'), '--allow-unsigned', '--no-agents']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/agent/i);
    expect((await health(sb.restPort)).body.version).toBe('4.1.1');
    for (const a of fleet) expect(await agentVersion(a)).toBe('4.0.1');
    const list = (await run(['agents', '--json'])).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(list[0]).toMatchObject({ type: 'summary', target: '4.1.1', summary: { total: 5, current: 0 } });
    expect(list.slice(1)).toMatchObject(fleet.map((a) => ({ type: 'agent', id: a.id, version: '4.0.1' })));
  });

  it('never prints the agents token', () => {
    expect(output.join('\n')).not.toContain(token);
  });
});
