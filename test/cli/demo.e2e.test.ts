/**
 * The README's first command, `npm run demo` (scripts/demo.mjs), as a new user runs
 * it: it must finish, every bundle inspected, the rehearsal passed, the last hop
 * installed and healthy with its agents, and the sandbox removed afterwards. (A
 * detached .sig beside each bundle once made it stop at its first step unseen.)
 */
import { execFile } from 'node:child_process';
import { expect, it } from 'vitest';

it('npm run demo runs to its end', async () => {
  const r = await new Promise<{ code: number; out: string }>((resolve) => {
    execFile(process.execPath, ['scripts/demo.mjs'], { maxBuffer: 64 << 20, timeout: 300_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr });
    });
  });
  expect(r.code, r.out.slice(-3000)).toBe(0);
  expect(r.out.match(/^files: \d+/gm)?.length).toBe(4);
  expect(r.out).toMatch(/rehearsal of beacon 4\.1\.1 -> 4\.2\.0: PASSED on a copy/);
  expect(r.out).toMatch(/beacon 4\.1\.1 -> 4\.2\.0 installed and healthy/);
  expect(r.out).toMatch(/Agents upgraded to 4\.2\.0: 3 upgraded, 0 already on 4\.2\.0, 0 failed/);
  expect(r.out).toMatch(/demo done: sandbox stopped and removed/);
}, 320_000);
