// A lock racer for lock-race.e2e.test.ts: a real process that calls the built lock
// module (dist/install/lock.js). Reads commands from stdin, one a line:
//   go <lockfile> <epoch-ms>   spin until that instant, then acquire; print "won" or "lost <CODE>"
// and never releases (the test removes the files between rounds), so a second
// winner cannot hide behind an early release.
import { createInterface } from 'node:readline';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const dist = path.resolve(process.argv[2] ?? 'dist');
const { acquireLock } = await import(pathToFileURL(path.join(dist, 'install', 'lock.js')).href);
const quiet = () => {};
const lines = createInterface({ input: process.stdin });
process.stdout.write('ready\n');
for await (const line of lines) {
  const [cmd, file, at] = line.split(' ');
  if (cmd !== 'go') continue;
  while (Date.now() < Number(at)); // start together: the point is to collide
  try {
    await acquireLock(file, 'race', quiet);
    process.stdout.write('won\n');
  } catch (e) {
    process.stdout.write(`lost ${e.code ?? e.message}\n`);
  }
}
