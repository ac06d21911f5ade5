import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as tar from 'tar';
import { packInto, rmrf, tempDir } from './helpers/programs.js';
// @ts-expect-error plain ESM module, no types
import { packComponents } from '../../scripts/lib/pack.mjs';

interface Entry {
  path: string;
  mode: number;
  uid: number;
  gid: number;
  mtime: string;
  size: number;
}

async function entries(file: string): Promise<Entry[]> {
  const out: Entry[] = [];
  await tar.t({ file, onReadEntry: (e) => out.push({ path: e.path, mode: e.mode!, uid: e.uid!, gid: e.gid!, mtime: e.mtime!.toISOString(), size: e.size! }) });
  return out;
}

const dirs: string[] = [];
afterAll(() => dirs.forEach(rmrf));

describe('pack-components', () => {
  it('packs every component of every version, reproducibly, with the documented layout', async () => {
    const [a, b] = [tempDir('pack-a'), tempDir('pack-b')];
    dirs.push(a, b);
    const first = await packInto(a, ['3.4.2', '4.0.1', '4.1.1', '4.2.0'], ['rest-service', 'worker', 'agent']);
    expect([...first.values()].map((r) => path.basename(r.file)).sort()).toEqual([
      'beacon-agent-3.4.2.tgz',
      'beacon-agent-4.0.1.tgz',
      'beacon-agent-4.1.1.tgz',
      'beacon-agent-4.2.0.tgz',
      'beacon-rest-3.4.2.tgz',
      'beacon-rest-4.0.1.tgz',
      'beacon-rest-4.1.1.tgz',
      'beacon-rest-4.2.0.tgz',
      'beacon-worker-3.4.2.tgz',
      'beacon-worker-4.0.1.tgz',
      'beacon-worker-4.1.1.tgz',
      'beacon-worker-4.2.0.tgz',
    ]);

    const second = await packInto(b, ['3.4.2', '4.2.0'], ['rest-service', 'worker', 'agent']);
    for (const [key, r] of second) expect(r.sha256, key).toBe(first.get(key)!.sha256);
    // different versions really are different programs
    expect(first.get('rest-service@4.1.1')!.sha256).not.toBe(first.get('rest-service@4.2.0')!.sha256);

    const rest = await entries(first.get('rest-service@4.1.1')!.file);
    const at1980 = { uid: 0, gid: 0, mtime: '1980-01-01T00:00:00.000Z' };
    expect(rest).toEqual([
      { path: 'better_sqlite3.node', mode: 0o755, ...at1980, size: expect.any(Number) },
      { path: 'package.json', mode: 0o644, ...at1980, size: expect.any(Number) },
      { path: 'server.js', mode: 0o644, ...at1980, size: expect.any(Number) },
    ]);
    expect((await entries(first.get('worker@3.4.2')!.file)).map((e) => e.path)).toEqual(['better_sqlite3.node', 'package.json', 'worker.js']);
    expect((await entries(first.get('agent@4.2.0')!.file)).map((e) => e.path)).toEqual(['agent.js', 'package.json']);

    // the gzip header carries no timestamp
    expect(readFileSync(first.get('agent@4.2.0')!.file).readUInt32LE(4)).toBe(0);

    // a second run finds everything up to date and leaves the files alone
    const again = await packInto(a, ['4.2.0'], ['rest-service']);
    expect(again.get('rest-service@4.2.0')).toMatchObject({ skipped: true, sha256: first.get('rest-service@4.2.0')!.sha256 });
  });

  it('uses SOURCE_DATE_EPOCH for the entries mtime', async () => {
    const out = tempDir('pack-epoch');
    dirs.push(out);
    process.env.SOURCE_DATE_EPOCH = '1700000000';
    try {
      const [r] = await packComponents({ outDir: out, versions: ['3.4.2'], components: ['agent'] });
      expect((await entries(r.file)).map((e) => e.mtime)).toEqual(['2023-11-14T22:13:20.000Z', '2023-11-14T22:13:20.000Z']);
    } finally {
      delete process.env.SOURCE_DATE_EPOCH;
    }
  });

  it('refuses an unknown version or component', async () => {
    const bad = tempDir('pack-bad');
    dirs.push(bad);
    await expect(packComponents({ outDir: bad, versions: ['9.9.9'] })).rejects.toThrow(/unknown Beacon version 9.9.9/);
    await expect(packComponents({ outDir: bad, components: ['db'] })).rejects.toThrow(/unknown component db/);
  });
});
