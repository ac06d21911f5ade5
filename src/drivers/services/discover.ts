/**
 * Find a product's service processes by what they are, not by their pidfile: a
 * process whose working directory (the kernel's resolved path, so `current` is
 * already followed to releases/<version>) or whose command line lies inside
 * <root>/opt/<product>/<component>/. A service killed between spawn and pidfile,
 * or one whose pidfile was lost, is found this way. Linux /proc only; elsewhere
 * nothing is found (and the pidfile stays the only record).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { procInfo, signalGroup } from './proc.js';

export interface FoundProcess {
  pid: number;
  pgrp: number;
  startTime: string;
  component: string;
  /** the release it runs from; undefined when only `current` (not a release) names it */
  version?: string;
  cmdline: string[];
}

const readlink = (p: string) => fs.readlink(p).catch(() => undefined);

/** <component>/releases/<version>/… or <component>/current/… under the product's opt dir */
function placeOf(file: string, optDir: string): { component: string; version?: string } | undefined {
  const rel = path.relative(optDir, file);
  if (!rel || rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  const [component, kind, version] = rel.split(path.sep);
  if (!component) return undefined;
  return { component, version: kind === 'releases' ? version : undefined };
}

/** every live process of the product's services under root, one per process group (the group's topmost member) */
export async function findServiceProcesses(root: string, product: string, components?: string[]): Promise<FoundProcess[]> {
  // the kernel reports resolved paths: compare against the resolved folder
  const optDir = await fs.realpath(path.join(root, 'opt', product)).catch(() => path.join(root, 'opt', product));
  const names = await fs.readdir('/proc').catch(() => [] as string[]);
  const found: FoundProcess[] = [];
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid === process.pid) continue;
    const cwd = await readlink(`/proc/${pid}/cwd`);
    const cmdline = (await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0').filter(Boolean);
    const place = (cwd && placeOf(cwd, optDir)) || cmdline.map((a) => placeOf(path.resolve(cwd ?? '/', a), optDir)).find(Boolean);
    if (!place || (components && !components.includes(place.component))) continue;
    const info = await procInfo(pid);
    if (!info || info.state === 'Z' || info.state === 'X') continue;
    found.push({ pid, pgrp: info.pgrp, startTime: info.startTime, cmdline, ...place });
  }
  // a service's own children share its group: report the group once, by its leader when it is one of ours
  const byGroup = new Map<number, FoundProcess>();
  for (const p of found.sort((a, b) => a.pid - b.pid)) {
    const seen = byGroup.get(p.pgrp);
    if (!seen || p.pid === p.pgrp) byGroup.set(p.pgrp, p);
  }
  return [...byGroup.values()];
}

/** the release version a service's working directory resolves to now (current -> releases/<v>) */
export async function releaseOf(cwd: string | undefined, root: string, product: string): Promise<string | undefined> {
  if (!cwd) return undefined;
  const real = await fs.realpath(cwd).catch(() => undefined);
  const optDir = await fs.realpath(path.join(root, 'opt', product)).catch(() => path.join(root, 'opt', product));
  return real ? placeOf(real, optDir)?.version : undefined;
}

/** SIGKILL to every process group of the product's services under root (a sandbox or a rehearsal's copy being removed) */
export async function killServicesUnder(root: string, product: string): Promise<void> {
  const own = (await procInfo(process.pid))?.pgrp;
  for (const p of await findServiceProcesses(root, product)) if (p.pgrp !== own) signalGroup(p.pgrp, 'SIGKILL');
}
