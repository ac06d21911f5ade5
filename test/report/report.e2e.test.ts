/**
 * Every install writes a self-contained HTML report plus its JSON, built from the
 * same events --json prints; the page renders its timeline in headless Chromium
 * (bars drawn, downtime marked, nothing logged to the console) and a failure
 * names its code and what to do next. Resume and rollback write theirs too.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundle, cli, sandbox, type Sandbox } from '../helpers/manager.js';
import { CHROMIUM, countPixels, decodePng, openPage } from '../helpers/chromium.js';
import { variant } from '../helpers/variant.js';
import { readReports } from '../helpers/reports.js';

const jsonLines = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
const strip = ({ t, ts, ...rest }: any) => rest;

describe('upgrade reports', () => {
  let sb: Sandbox;
  let installed: any;
  let stderr: string;
  beforeAll(async () => {
    sb = await sandbox('sqlite');
    const fresh = await cli(['install', bundle('none-to-3.4.2'), '--root', sb.root, '--values', sb.valuesFile, '--allow-unsigned']);
    if (fresh.code !== 0) throw new Error(fresh.stderr);
    const r = await cli(['install', bundle('3.4.2-to-4.0.1'), '--root', sb.root, '--allow-unsigned', '--json']);
    if (r.code !== 0) throw new Error(r.stderr);
    installed = JSON.parse(r.stdout);
    stderr = r.stderr;
  });
  afterAll(() => sb?.cleanup());

  it('writes HTML + JSON under var/lib/uphop/reports and `uphop report` names the newest', async () => {
    expect(installed.report).toMatch(new RegExp(`^${sb.root}/var/lib/uphop/reports/\\d{8}T\\d+Z-install-beacon-3.4.2-to-4.0.1\\.html$`));
    const r = await cli(['report', '--root', sb.root, '--json']);
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info).toMatchObject({ html: installed.report, outcome: 'succeeded' });
    // a person's view in the terminal: the title, every step with its time, the migrations, the page's path
    const text = (await cli(['report', '--root', sb.root])).stdout.trim();
    expect(text.split('\n')[0]).toMatch(/beacon 3\.4\.2 -> 4\.0\.1.*succeeded.*downtime \d/i);
    expect(text).toMatch(/^stop services\s+\d+ ms$/m);
    expect(text).toMatch(/^4\.0\.1\/\S+\s+(pre|main|post)\s+\w+\s+\d/m);
    expect(text.split('\n').at(-1)).toBe(`report: ${installed.report}`);
    expect(info.steps.map((s: { step: string }) => s.step)).toEqual(expect.arrayContaining(['stop services', 'start services', 'health checks']));
  });

  it('holds the events --json printed, the migrations with durations, the configs and the downtime window', async () => {
    const report = JSON.parse(await readFile(installed.report.replace(/\.html$/, '.json'), 'utf8'));
    const printed = jsonLines(stderr).filter((e) => e.type !== 'progress' && e.type !== 'report' && !(e.type === 'log' && /^report: /.test(e.message)));
    expect(report.events.map(strip)).toEqual(printed.map(strip));
    expect(report).toMatchObject({ kind: 'install', product: 'beacon', from: '3.4.2', to: '4.0.1', outcome: 'succeeded' });
    expect(report.migrations.map((m: any) => m.name)).toEqual(['4.0.1/001-create-tags.mjs', '4.0.1/002-create-item-tags.sql']);
    for (const m of report.migrations) expect(m.ms).toBeGreaterThanOrEqual(0);
    expect(report.configs.map((c: any) => c.dest).sort()).toEqual(['etc/beacon/rest-service.yaml', 'etc/beacon/worker.yaml']);
    expect(report.downtime).toHaveLength(1);
    const stop = report.steps.find((s: any) => s.step === 'stop services');
    const healthy = report.steps.find((s: any) => s.step === 'health checks');
    expect(report.downtime[0]).toMatchObject({ start: stop.start, end: healthy.end, closed: true });
    expect(report.errors).toEqual([]);
  });

  it('is self-contained: no script, no external asset', async () => {
    const html = await readFile(installed.report, 'utf8');
    expect(html).not.toMatch(/<script|<link|<img|@import|url\(|src=|https?:\/\/(?!www\.w3\.org\/2000\/svg)/i);
  });

  describe.skipIf(!CHROMIUM)('in headless Chromium', () => {
    it('renders the timeline: not blank, one bar per step and migration, downtime shaded, no console errors', async () => {
      const report = JSON.parse(await readFile(installed.report.replace(/\.html$/, '.json'), 'utf8'));
      const page = await openPage(installed.report);
      expect(page.consoleErrors).toEqual([]);
      const bars = page.dom.match(/<rect class="bar"/g) ?? [];
      expect(bars.length).toBe(report.steps.length + report.migrations.length);
      expect(page.dom.match(/<rect class="downtime"/g)).toHaveLength(1);
      const px = decodePng(page.png);
      const nonWhite = countPixels(px, (r, g, b) => r < 245 || g < 245 || b < 245);
      expect(nonWhite / (px.width * px.height)).toBeGreaterThan(0.02);
      // the "done" bars' green (#2e7d32) and the downtime's pink (#ffcdd2 at 55% on white) are painted
      expect(countPixels(px, (r, g, b) => Math.abs(r - 46) < 12 && Math.abs(g - 125) < 12 && Math.abs(b - 50) < 12)).toBeGreaterThan(500);
      expect(countPixels(px, (r, g, b) => r > 240 && g > 215 && g < 235 && b > 220 && b < 240)).toBeGreaterThan(200);
    });
  });

  it('a failed install writes a report naming the step, the error code and what to do next', async () => {
    const v = await variant();
    try {
      await v.write('schema-migrations/4.1.1/003-explode.mjs', `export async function up() { throw new Error('boom in 003'); }\nexport async function down() {}\n`);
      const file = v.build('4.0.1-to-4.1.1');
      const r = await cli(['install', file, '--root', sb.root, '--allow-unsigned']);
      expect(r.code).toBe(1);
      const info = JSON.parse((await cli(['report', '--root', sb.root, '--json'])).stdout);
      expect(path.basename(info.html)).toMatch(/-install-beacon-4\.0\.1-to-4\.1\.1\.html$/);
      const report = JSON.parse(await readFile(info.json, 'utf8'));
      expect(report.outcome).toBe('failed');
      const last = report.errors.at(-1);
      expect(last.code).toMatch(/^[A-Z_]+$/);
      expect(last.message).toMatch(/boom in 003/);
      expect(last.hint).toBeTruthy();
      expect(report.migrations.find((m: any) => m.status === 'fail')?.name).toBe('4.1.1/003-explode.mjs');
      expect(report.steps.some((s: any) => s.status === 'undo')).toBe(true);
      const html = await readFile(info.html, 'utf8');
      expect(html).toContain(last.code);
      expect(html).toContain('next: ');
    } finally {
      await v.cleanup();
    }
  });

  it('resume and rollback write theirs: the hop each ran, its steps, migrations and downtime; a refused rollback writes none', async () => {
    const killed = await cli(['install', bundle('4.0.1-to-4.1.1'), '--root', sb.root, '--allow-unsigned'], { UPHOP_CRASH_AT: 'migrate schema' });
    expect(killed.code, killed.stderr).toBe(137);
    const resumed = await cli(['resume', '--root', sb.root, '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    const resume = (await readReports(sb.root)).at(-1)!.report;
    expect(JSON.parse(resumed.stdout).report).toMatch(/-resume-beacon-4\.0\.1-to-4\.1\.1\.html$/);
    expect(resume).toMatchObject({ kind: 'resume', title: 'Resumed install of beacon 4.0.1 -> 4.1.1: succeeded', from: '4.0.1', to: '4.1.1', outcome: 'succeeded' });
    expect(resume.steps.map((x: any) => x.step)).toEqual(expect.arrayContaining(['migrate schema', 'start services', 'health checks']));
    expect(resume.migrations.map((m: any) => [m.name, m.status])).toEqual([['4.1.1/002-index-item-slug.mjs', 'end']]);
    // the services were stopped by the killed install: down from the start of the resume until healthy
    const healthy = resume.steps.find((x: any) => x.step === 'health checks');
    expect(resume.downtime).toMatchObject([{ start: 0, end: healthy.end, closed: true }]);

    const rolled = await cli(['rollback', '--root', sb.root, '--json']);
    expect(rolled.code, rolled.stderr).toBe(0);
    const info = JSON.parse((await cli(['report', '--root', sb.root, '--json'])).stdout);
    expect(info).toMatchObject({ html: JSON.parse(rolled.stdout).report, kind: 'rollback', title: 'Rollback of beacon 4.1.1 -> 4.0.1: succeeded', outcome: 'succeeded' });
    const back = JSON.parse(await readFile(info.json, 'utf8'));
    expect(back).toMatchObject({ from: '4.1.1', to: '4.0.1', errors: [] });
    expect(back.steps.length).toBeGreaterThan(3);
    expect(back.steps.every((x: any) => x.status === 'undo' && x.step.startsWith('undo '))).toBe(true);
    expect(back.migrations.map((m: any) => [m.name, m.status]).sort()).toEqual([
      ['4.1.1/001-add-item-slug.pre.mjs', 'down'],
      ['4.1.1/002-index-item-slug.mjs', 'down'],
    ]);
    const stopNew = back.steps.find((x: any) => x.step === 'undo start services');
    const oldBack = back.steps.find((x: any) => x.step === 'undo stop services');
    expect(back.downtime).toMatchObject([{ start: stopNew.start, end: oldBack.end, closed: true }]);
    expect(await readFile(info.html, 'utf8')).toContain('Rollback of beacon 4.1.1 → 4.0.1');

    const count = (await readReports(sb.root)).length;
    expect((await cli(['rollback', '--root', sb.root])).code).toBe(2); // the last hop is already rolled back
    expect(await readReports(sb.root)).toHaveLength(count);
  });
});
