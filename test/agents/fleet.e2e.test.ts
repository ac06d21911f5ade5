/**
 * The rollout at fleet scale through the built CLI: a sandbox manager on 4.0.1
 * (agents not rolled out), simulated agents on 3.4.2 (scripts/lib/agent-sim.mjs:
 * the real HTTP protocol, token and sha256 checks, real downloads; each counts the
 * commands it got) registered in its agents table. Every outcome lands in the
 * progress log and the DB; pause/continue/abort; the failure budget across waves;
 * offline agents; groups; the policy flags and their refusals; the fleet view.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readProgress } from '../../src/agents/progress.js';
import { serviceAvailable } from '../helpers/services.js';
import { cli, type Sandbox, sandboxOn401 } from '../helpers/manager.js';
import { progressLog, simFleet, sum, type SimFleet } from '../helpers/sim-fleet.js';

const TO = '4.0.1';
const FROM = '3.4.2';
const FAST = ['--canary', '1', '--batch', '100', '--concurrency', '100', '--delay', '0s'];
const BROKER = 'amqp://guest:guest@127.0.0.1:5672';
const AMQP = await serviceAvailable('amqp');

describe('agent rollout at fleet scale', () => {
  let sb: Sandbox;
  let fleet: SimFleet | undefined;
  const rollout = (...args: string[]) => cli(['agents', 'rollout', '--root', sb.root, ...args]);
  const agents = (...args: string[]) => cli(['agents', ...args, '--root', sb.root]);
  const outcomes = async () => (await readProgress(progressLog(sb, TO).replace(/\.log$/, '.json')))!.outcomes;

  beforeAll(async () => {
    sb = await sandboxOn401({ extra: ['--no-agents'] });
  }, 120_000);
  afterEach(async () => {
    await fleet?.stop();
    fleet = undefined;
  });
  afterAll(async () => {
    await sb?.cleanup();
  });

  it('1,000 agents at batch 100: every outcome is in the progress log and the DB, and the view sums them up', async () => {
    fleet = await simFleet(sb, { n: 1000, from: FROM, to: TO });
    const r = await rollout(...FAST, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ outcome: 'done', rollout: { upgraded: 1000, failed: 0, offline: 0, pending: 0 } });
    const log = await outcomes();
    expect(log.size).toBe(1000);
    expect([...log.values()].every((o) => o.status === 'upgraded' && o.version === TO)).toBe(true);
    // compacted: one line per agent, the header first
    const lines = (await readFile(progressLog(sb, TO), 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(1001);
    expect(await sb.db()('agents').where({ version: TO, state: 'ok' }).count({ n: '*' })).toEqual([{ n: 1000 }]);
    const stats = await fleet.stats();
    expect(stats.commands.every((c) => c === 1)).toBe(true);

    const view = await agents();
    expect(view.code, view.stderr).toBe(0);
    expect(view.stdout).toContain(`1000 agent(s); 1000 on ${TO}`);
    expect(view.stdout).not.toContain(fleet.agents[0].id); // the summary only, no list
    const all = await agents('--all');
    for (const a of fleet.agents.slice(0, 50)) expect(all.stdout).toContain(a.id);
    const json = (await agents('--json')).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(json[0]).toMatchObject({ type: 'summary', target: TO, summary: { total: 1000, current: 1000 } });
    expect(json.slice(1).map((l) => l.id)).toEqual(fleet.agents.map((a) => a.id).sort());
  }, 120_000);

  it('pauses after the canary until continue; the rest runs without a second canary; a rollout meanwhile is refused', async () => {
    fleet = await simFleet(sb, { n: 30, from: FROM, to: TO });
    const paused = await rollout('--canary', '3', '--batch', '10', '--delay', '0s', '--pause');
    expect(paused.code, paused.stderr).toBe(0);
    expect(paused.stdout).toContain(`The agent rollout to ${TO} is paused after the canary (3 upgraded`);
    expect(sum((await fleet.stats()).commands)).toBe(3);
    expect((await agents()).stdout).toContain('paused after its canary');
    const again = await rollout();
    expect(again.code).toBe(3);
    expect(again.stderr).toContain('[ROLLOUT_PAUSED]');
    const cont = await agents('continue', '--batch', '10', '--delay', '0s');
    expect(cont.code, cont.stderr).toBe(0);
    expect(cont.stdout).toContain(`Agents upgraded to ${TO}: 27 upgraded, 3 already on ${TO}, 0 failed.`);
    expect(cont.stderr).toContain('wave 1/3 (batch): 10 agents');
    expect(cont.stderr).not.toContain('(canary)');
    const stats = await fleet.stats();
    expect(stats.commands.every((c) => c === 1)).toBe(true);
    expect(stats.versions.every((v) => v === TO)).toBe(true);
    expect((await agents('continue')).code).toBe(2); // nothing paused any more
  }, 60_000);

  it('abort ends a paused rollout; the next rollout starts with a canary again', async () => {
    fleet = await simFleet(sb, { n: 10, from: FROM, to: TO });
    expect((await rollout('--canary', '2', '--pause')).code).toBe(0);
    const abort = await agents('abort');
    expect(abort.code, abort.stderr).toBe(0);
    expect(abort.stdout).toContain('is aborted: 8 agent(s) stay where they are');
    expect(sum((await fleet.stats()).commands)).toBe(2);
    const cont = await agents('continue');
    expect(cont.code).toBe(2);
    expect(cont.stderr).toContain('[ROLLOUT_NOT_PAUSED]');
    const next = await rollout('--canary', '2', '--pause');
    expect(next.code, next.stderr).toBe(0);
    expect(next.stdout).toContain('paused after the canary (2 upgraded, 2 already on');
    expect(sum((await fleet.stats()).commands)).toBe(4);
  }, 60_000);

  it('the failure budget counts across waves; a run of failures stops at max_consecutive_failures', async () => {
    // refusing agents spread over the waves of 10: one in each of waves 2, 4 and 6
    fleet = await simFleet(sb, { n: 100, from: FROM, to: TO, behaviour: { 15: 'refuse', 35: 'refuse', 55: 'refuse' } });
    const r = await rollout('--canary', '1', '--batch', '10', '--concurrency', '1', '--delay', '0s', '--max-failures', '2', '--json');
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.rollout).toMatchObject({ failed: 3, stopped: '3 agents failed, more than max_failures 2' });
    expect(out.rollout.upgraded).toBe(53); // one at a time: it stops right after the third failure
    expect((await sb.db()('agents').where({ state: 'failed' }).orderBy('id')).map((a) => a.id)).toEqual([15, 35, 55].map((i) => fleet!.agents[i].id));
    const view = await agents();
    expect(view.stdout).toMatch(/3 failed: refused the package: the package is damaged \(simulated\) \(e\.g\. f[0-9a-f]+-00015\)/);

    await fleet.stop();
    fleet = await simFleet(sb, { n: 40, from: FROM, to: TO, behaviour: { 5: 'refuse', 6: 'refuse', 10: 'refuse', 11: 'refuse', 12: 'refuse' } });
    const c = await rollout('--canary', '1', '--batch', '10', '--concurrency', '1', '--delay', '0s', '--max-failures', '100%', '--max-consecutive-failures', '3', '--json');
    expect(c.code).toBe(1);
    const cr = JSON.parse(c.stdout).rollout;
    // two in a row (5, 6) are tolerated, the third of 10, 11, 12 stops it
    expect(cr).toMatchObject({ failed: 5, upgraded: 8, stopped: '3 agents failed in a row (max_consecutive_failures 3)' });
  }, 60_000);

  it('offline agents are reported, spend no budget, and a later run upgrades them', async () => {
    const offline = [3, 17, 18];
    fleet = await simFleet(sb, { n: 40, from: FROM, to: TO, behaviour: Object.fromEntries(offline.map((i) => [i, 'offline'])) });
    const r = await rollout(...FAST, '--max-failures', '0', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ outcome: 'done', rollout: { upgraded: 37, failed: 0, offline: 3 } });
    expect((await sb.db()('agents').where({ state: 'offline' }).orderBy('id')).map((a) => a.id)).toEqual(offline.map((i) => fleet!.agents[i].id));
    expect((await agents()).stdout).toMatch(/3 offline: could not be reached \(ECONNREFUSED\)/);
    await fleet.setOnline(offline);
    const later = await rollout(...FAST, '--json');
    expect(later.code, later.stderr).toBe(0);
    expect(JSON.parse(later.stdout)).toMatchObject({ outcome: 'done', rollout: { upgraded: 3, skipped: 37, offline: 0 } });
    expect((await fleet.stats()).versions.every((v) => v === TO)).toBe(true);
  }, 60_000);

  it('groups: --only and --except choose by the optional group column, held groups never upgrade', async () => {
    fleet = await simFleet(sb, { n: 12, from: FROM, to: TO });
    // Beacon's table has no group column: selecting by group is refused, nothing is sent
    const refused = await rollout('--only', 'eu');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('[AGENTS_NO_GROUPS]');
    await fleet.stop();
    await sb.db().schema.alterTable('agents', (t) => t.string('group', 50));
    const groups = ['eu', 'us', 'frozen'];
    fleet = await simFleet(sb, { n: 12, from: FROM, to: TO, groups: (i) => groups[i % 3] });
    const valuesFile = path.join(sb.root, 'etc/beacon/values.yaml');
    const values = YAML.parse(await readFile(valuesFile, 'utf8'));
    await writeFile(valuesFile, YAML.stringify({ ...values, agents: { ...values.agents, hold_groups: ['frozen'] } }));
    const eu = await rollout(...FAST, '--only', 'eu', '--json');
    expect(eu.code, eu.stderr).toBe(0);
    expect(JSON.parse(eu.stdout)).toMatchObject({ outcome: 'done', held: 4, unselected: 4, rollout: { upgraded: 4 } });
    let stats = await fleet.stats();
    expect(stats.versions.map((v, i) => (v === TO ? groups[i % 3] : '-'))).toEqual(stats.versions.map((_, i) => (i % 3 === 0 ? 'eu' : '-')));
    const rest = await rollout(...FAST, '--except', 'eu', '--json');
    expect(JSON.parse(rest.stdout)).toMatchObject({ outcome: 'done', held: 4, unselected: 4, rollout: { upgraded: 4 } });
    stats = await fleet.stats();
    stats.versions.forEach((v, i) => expect(v).toBe(i % 3 === 2 ? FROM : TO)); // frozen stays
    expect(sum(stats.commands.filter((_, i) => i % 3 === 2))).toBe(0);
    expect((await agents('--group', 'frozen')).stdout.split('\n').filter((l) => l.includes(' frozen')).length).toBe(4);
    await writeFile(valuesFile, YAML.stringify(values));
    await sb.db().schema.alterTable('agents', (t) => t.dropColumn('group'));
  }, 60_000);

  it.skipIf(!AMQP)(
    'over AMQP: 500 agents upgraded through the broker, one without a queue reported offline',
    async () => {
      fleet = await simFleet(sb, { n: 500, from: FROM, to: TO, amqp: BROKER, processes: 2, behaviour: { 77: 'offline' } });
      const valuesFile = path.join(sb.root, 'etc/beacon/values.yaml');
      const values = YAML.parse(await readFile(valuesFile, 'utf8'));
      await writeFile(valuesFile, YAML.stringify({ ...values, agents: { ...values.agents, amqp: { url: BROKER } } }));
      try {
        const r = await rollout(...FAST, '--json');
        expect(r.code, r.stderr).toBe(0);
        expect(JSON.parse(r.stdout)).toMatchObject({ outcome: 'done', rollout: { upgraded: 499, failed: 0, offline: 1 } });
        expect((await outcomes()).size).toBe(500);
        const stats = await fleet.stats();
        expect(stats.versions.filter((v) => v === TO)).toHaveLength(499);
        expect(sum(stats.redundant)).toBe(0);
        expect((await agents()).stdout).toMatch(/1 offline: has no queue on the broker/);
      } finally {
        await writeFile(valuesFile, YAML.stringify(values));
      }
    },
    120_000,
  );

  it.each([
    ['--batch', '0'],
    ['--concurrency', '0'],
    ['--concurrency', '20000'],
    ['--canary', '150%'],
    ['--delay', 'soon'],
    ['--max-failures', '1.5'],
    ['--max-failures', '-1'],
    ['--max-consecutive-failures', '0'],
  ])('%s %s is refused naming the flag, before any agent is contacted', async (flag, value) => {
    fleet ??= await simFleet(sb, { n: 3, from: FROM, to: TO });
    const r = await rollout(`${flag}=${value}`);
    expect(r.code, r.stdout).toBe(2);
    expect(r.stderr).toContain(`[BAD_ROLLOUT_FLAG]: ${flag} must`);
    expect(sum((await fleet.stats()).commands)).toBe(0);
  });
});
