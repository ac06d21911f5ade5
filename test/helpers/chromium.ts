/**
 * Debian's headless Chromium, as a person would open a report: a screenshot, the
 * DOM after load, and what the page logged. Plus a small PNG decoder (zlib inflate
 * of IDAT and the row filters) so a test can count pixels of a colour.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { inflateSync } from 'node:zlib';

export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((f) => existsSync(f));

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--hide-scrollbars'];

async function chromium(args: string[]): Promise<{ stdout: string; stderr: string }> {
  const profile = await mkdtemp(path.join(tmpdir(), 'uphop-chromium-'));
  return new Promise((resolve, reject) => {
    execFile(CHROMIUM!, [...FLAGS, `--user-data-dir=${profile}`, '--enable-logging=stderr', '--v=0', ...args], { maxBuffer: 64 << 20, timeout: 60_000 }, async (err, stdout, stderr) => {
      await rm(profile, { recursive: true, force: true });
      if (err && !stdout && !existsSync(args.find((a) => a.startsWith('--screenshot='))?.slice(13) ?? '/nonexistent')) reject(new Error(`chromium failed: ${err.message}\n${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
}

export interface Opened {
  png: Buffer;
  dom: string;
  consoleErrors: string[];
}

/** screenshot (window width x height) and the DOM, each from a fresh profile */
export async function openPage(file: string, width = 1100, height = 1600): Promise<Opened> {
  const dir = await mkdtemp(path.join(tmpdir(), 'uphop-shot-'));
  const shot = path.join(dir, 'page.png');
  const url = pathToFileURL(file).href;
  const a = await chromium([`--screenshot=${shot}`, `--window-size=${width},${height}`, url]);
  const b = await chromium(['--dump-dom', url]);
  const png = await readFile(shot);
  await rm(dir, { recursive: true, force: true });
  const logs = `${a.stderr}\n${b.stderr}`.split('\n');
  const consoleErrors = logs.filter((l) => /CONSOLE|Uncaught|Refused to|net::ERR_/.test(l));
  return { png, dom: b.stdout, consoleErrors };
}

export interface Pixels {
  width: number;
  height: number;
  rgb(x: number, y: number): [number, number, number];
}

/** decodes an 8-bit RGB or RGBA non-interlaced PNG (what Chromium writes) */
export function decodePng(buf: Buffer): Pixels {
  if (buf.readUInt32BE(0) !== 0x89504e47) throw new Error('not a PNG');
  let off = 8;
  let width = 0,
    height = 0,
    type = 0;
  const idat: Buffer[] = [];
  while (off < buf.length) {
    const len = buf.readUInt32BE(off);
    const kind = buf.toString('latin1', off + 4, off + 8);
    const data = buf.subarray(off + 8, off + 8 + len);
    if (kind === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      if (data[8] !== 8 || data[12] !== 0) throw new Error('only 8-bit non-interlaced PNGs');
      type = data[9];
    } else if (kind === 'IDAT') idat.push(data);
    off += 12 + len;
  }
  const bpp = type === 6 ? 4 : type === 2 ? 3 : 0;
  if (!bpp) throw new Error(`PNG colour type ${type} not handled`);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * bpp;
  const out = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? out[y * stride + i - bpp] : 0;
      const b = y ? out[(y - 1) * stride + i] : 0;
      const c = i >= bpp && y ? out[(y - 1) * stride + i - bpp] : 0;
      const p = a + b - c;
      const pred =
        f === 0 ? 0 : f === 1 ? a : f === 2 ? b : f === 3 ? (a + b) >> 1 : Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      out[y * stride + i] = (line[i] + pred) & 0xff;
    }
  }
  return { width, height, rgb: (x, y) => [out[y * stride + x * bpp], out[y * stride + x * bpp + 1], out[y * stride + x * bpp + 2]] };
}

/** pixels matching a predicate */
export function countPixels(p: Pixels, match: (r: number, g: number, b: number) => boolean): number {
  let n = 0;
  for (let y = 0; y < p.height; y++) for (let x = 0; x < p.width; x++) if (match(...p.rgb(x, y))) n++;
  return n;
}
