/**
 * Who listens on a TCP port: /proc/net/tcp{,6} give the listening socket's inode,
 * /proc/<pid>/fd/* the process holding it. So an error can name the pid when
 * something uphop did not start holds a service's port. Linux only; elsewhere
 * (or without permission to read another user's fds) nothing is found.
 */
import { promises as fs } from 'node:fs';

const LISTEN = '0A';

async function listeningInodes(port: number): Promise<Set<string>> {
  const out = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await fs.readFile(table, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== LISTEN) continue;
      if (parseInt(f[1].split(':')[1] ?? '', 16) === port) out.add(f[9]);
    }
  }
  return out;
}

export interface PortHolder {
  port: number;
  pid: number;
  cmdline: string;
}

/** the processes listening on `port` (empty when none, or when /proc cannot tell) */
export async function portHolders(port: number): Promise<PortHolder[]> {
  const inodes = await listeningInodes(port);
  if (!inodes.size) return [];
  const holders: PortHolder[] = [];
  for (const name of await fs.readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(name)) continue;
    const fds = await fs.readdir(`/proc/${name}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const target = await fs.readlink(`/proc/${name}/fd/${fd}`).catch(() => '');
      const m = /^socket:\[(\d+)\]$/.exec(target);
      if (!m || !inodes.has(m[1])) continue;
      const cmdline = (await fs.readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '')).split('\0').filter(Boolean).join(' ');
      holders.push({ port, pid: Number(name), cmdline });
      break;
    }
  }
  return holders;
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
