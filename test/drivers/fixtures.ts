/** Tiny real programs and temp folders for the driver tests. */
import { mkdtempSync, promises as fs, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export function tempDir(prefix: string): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), `uphop-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** an HTTP server on an ephemeral loopback port; writes the port to argv[2] once listening */
export const HTTP_SERVICE = `
import http from 'node:http';
import fs from 'node:fs';
const [portFile, body = 'ok', status = '200'] = process.argv.slice(2);
const server = http.createServer((req, res) => { res.writeHead(Number(status)); res.end(body); });
server.listen(0, '127.0.0.1', () => {
  fs.writeFileSync(portFile + '.tmp', String(server.address().port));
  fs.renameSync(portFile + '.tmp', portFile);
  console.log('listening on', server.address().port);
});
process.on('SIGTERM', () => { console.log('got SIGTERM, bye'); server.close(() => process.exit(0)); });
`;

export const CRASHING_SERVICE = `
console.log('loading settings');
console.error('fatal: cannot read /etc/beacon/rest-service.yaml');
process.exit(3);
`;

/** ignores SIGTERM; writes argv[2] when its handler ran, so the test knows TERM arrived first */
export const STUBBORN_SERVICE = `
import fs from 'node:fs';
process.on('SIGTERM', () => { fs.writeFileSync(process.argv[2], 'term'); console.log('ignoring SIGTERM'); });
fs.writeFileSync(process.argv[3], 'ready');
setInterval(() => {}, 1000);
`;

export async function writeScript(dir: string, name: string, source: string): Promise<string> {
  const file = path.join(dir, name);
  await fs.writeFile(file, source);
  return file;
}

/** wait for a file a child writes (no timing assertion: the test timeout bounds it) */
export async function waitForFile(file: string): Promise<string> {
  for (;;) {
    try {
      return await fs.readFile(file, 'utf8');
    } catch {
      await sleep(25);
    }
  }
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function readPid(pidFile: string): Promise<number> {
  return Number((await fs.readFile(pidFile, 'utf8')).split('\n')[0]);
}
