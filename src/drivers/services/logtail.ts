/** The last lines of a log written from `fromByte` on, read from its end (logs can be huge). */
import { promises as fs } from 'node:fs';

const WINDOW = 8 * 1024;

export async function logTail(file: string, fromByte = 0, lines = 10): Promise<string[]> {
  let fh: fs.FileHandle;
  try {
    fh = await fs.open(file, 'r');
  } catch {
    return [];
  }
  try {
    const { size } = await fh.stat();
    const start = Math.max(fromByte, size - WINDOW);
    const buf = Buffer.alloc(Math.max(0, size - start));
    await fh.read(buf, 0, buf.length, start);
    return buf
      .toString('utf8')
      .split('\n')
      .map((l) => l.trimEnd())
      .filter(Boolean)
      .slice(-lines);
  } finally {
    await fh.close();
  }
}
