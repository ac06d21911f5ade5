/**
 * Loaded with `node --import` into a benchmarked process: writes the process's
 * peak RSS (KiB) and CPU time (ms, every thread: zlib runs on the thread pool) as
 * JSON to $UPHOP_BENCH_RSS_FILE when it exits, however it exits.
 */
import { writeFileSync } from 'node:fs';

const file = process.env.UPHOP_BENCH_RSS_FILE;
if (file) {
  process.on('exit', () => {
    const u = process.resourceUsage();
    writeFileSync(file, JSON.stringify({ maxRssKiB: u.maxRSS, cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000 }));
  });
}
