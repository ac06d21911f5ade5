/**
 * Who listens on a TCP port: /proc/net/tcp{,6} give the listening socket's inode,
 * /proc/<pid>/fd/* the process holding it. So an error can name the pid when
 * something uphop did not start holds a service's port. Linux only; elsewhere
 * (or without permission to read another user's fds) nothing is found.
 */
import { promises as fs } from 'node:fs';

const LISTEN = '0A';
const TIME_WAIT = '06';

/**
 * Sockets bound to `port` locally: listeners, and also another program's outgoing
 * connection that happens to have it as its local port (a bind fails on that too).
 * TIME_WAIT sockets belong to nobody (inode 0) and do not stop a listener.
 */
async function boundInodes(port: number): Promise<{ inode: string; listening: boolean }[]> {
  const out: { inode: string; listening: boolean }[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await fs.readFile(table, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] === TIME_WAIT || f[9] === '0') continue;
      if (parseInt(f[1].split(':')[1] ?? '', 16) === port) out.push({ inode: f[9], listening: f[3] === LISTEN });
    }
  }
  return out;
}

export interface PortHolder {
  port: number;
  pid: number;
  cmdline: string;
  /** false: the port is the local end of one of its connections, not a server */
  listening: boolean;
}

/** the processes holding `port` (listeners first; empty when none, or when /proc cannot tell) */
export async function portHolders(port: number): Promise<PortHolder[]> {
  const bound = await boundInodes(port);
  if (!bound.length) return [];
  const inodes = new Map(bound.map((b) => [b.inode, b.listening]));
  const holders: PortHolder[] = [];
  for (const name of await fs.readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(name)) continue;
    const fds = await fs.readdir(`/proc/${name}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const target = await fs.readlink(`/proc/${name}/fd/${fd}`).catch(() => '');
      const m = /^socket:\[(\d+)\]$/.exec(target);
      if (!m || !inodes.has(m[1])) continue;
      const cmdline = (await fs.readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '')).split('\0').filter(Boolean).join(' ');
      holders.push({ port, pid: Number(name), cmdline, listening: inodes.get(m[1])! });
      break;
    }
  }
  return holders.sort((a, b) => Number(b.listening) - Number(a.listening));
}

const LOCAL = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\]|0\.0\.0\.0|\[::\])$/;

/** the port of a health check's target on this host (http://host:port/… or host:port); undefined for another host */
export function portOf(target: string): number | undefined {
  try {
    const u = new URL(target.includes('://') ? target : `tcp://${target}`);
    if (!LOCAL.test(u.hostname)) return undefined;
    if (u.port) return Number(u.port);
    return u.protocol === 'https:' ? 443 : u.protocol === 'http:' ? 80 : undefined;
  } catch {
    return undefined;
  }
}
