/**
 * The hop graph: versions are nodes, bundles are edges. Pure functions, no I/O.
 * A hop's `from` is an exact version, a semver range (it accepts every version
 * that satisfies it), or "none" (a fresh install). planPath is a breadth-first
 * search, so the chain it returns has the fewest hops.
 */
import semver from 'semver';
import { usageError } from '../errors.js';

export const NONE = 'none';

export interface PlanHop {
  product: string;
  from: string;
  to: string;
  file: string;
  sha256?: string;
  size?: number;
}

/** canonical spelling: "v4.0.1" and "4.0.1" are the same node */
export const canonical = (v: string) => (v === NONE ? NONE : (semver.valid(v) ?? v.trim()));

export function accepts(hop: PlanHop, version: string): boolean {
  const v = canonical(version);
  if (hop.from === NONE || v === NONE) return hop.from === v;
  if (semver.valid(hop.from)) return canonical(hop.from) === v;
  return semver.validRange(hop.from) !== null && semver.valid(v) !== null && semver.satisfies(v, hop.from);
}

/** exact hops before range hops, then by file name: the same input always gives the same chain */
const order = (a: PlanHop, b: PlanHop) => Number(!semver.valid(a.from) && a.from !== NONE) - Number(!semver.valid(b.from) && b.from !== NONE) || (a.file < b.file ? -1 : a.file > b.file ? 1 : 0);

/** for every version reachable from `from`, the hop that reaches it first (BFS tree) */
function search<H extends PlanHop>(hops: H[], from: string): Map<string, { prev: string; hop: H } | null> {
  const sorted = [...hops].sort(order);
  const tree = new Map<string, { prev: string; hop: H } | null>([[canonical(from), null]]);
  const queue = [canonical(from)];
  while (queue.length) {
    const v = queue.shift()!;
    for (const hop of sorted) {
      const to = canonical(hop.to);
      if (tree.has(to) || !accepts(hop, v)) continue;
      tree.set(to, { prev: v, hop });
      queue.push(to);
    }
  }
  return tree;
}

const byVersion = (a: string, b: string) => (a === NONE ? -1 : b === NONE ? 1 : semver.valid(a) && semver.valid(b) ? semver.compare(a, b) : a < b ? -1 : 1);

/** versions reachable from `from` in one or more hops */
export function reachableFrom(hops: PlanHop[], from: string): string[] {
  return [...search(hops, from).keys()].filter((v) => v !== canonical(from)).sort(byVersion);
}

/** known versions (hop starts that are exact, and hop ends) from which `to` can be reached */
export function leadingTo(hops: PlanHop[], to: string): string[] {
  const known = new Set<string>();
  for (const h of hops) {
    if (h.from === NONE || semver.valid(h.from)) known.add(canonical(h.from));
    known.add(canonical(h.to));
  }
  const target = canonical(to);
  return [...known].filter((v) => v !== target && search(hops, v).has(target)).sort(byVersion);
}

/** the chain with the fewest hops from `from` to `to`; [] when they are the same version */
export function planPath<H extends PlanHop>(hops: H[], from: string, to: string): H[] {
  const target = canonical(to);
  const tree = search(hops, from);
  if (!tree.has(target)) throw noPath(hops, from, to);
  const chain: H[] = [];
  for (let step = tree.get(target); step; step = tree.get(step.prev)) chain.unshift(step.hop);
  return chain;
}

/**
 * Exit 2 (bad input, nothing changed): the catalog is fine, the requested pair
 * of versions is not one it can serve. The hint lists both sides so the user can
 * pick a reachable target or find the missing bundle.
 */
function noPath(hops: PlanHop[], from: string, to: string) {
  const fromHere = reachableFrom(hops, from);
  const toThere = leadingTo(hops, to);
  const list = (vs: string[]) => (vs.length ? vs.join(', ') : 'nothing');
  return usageError('NO_PATH', `No chain of hops leads from ${from} to ${to}.`, 'Publish the missing bundle, or pick versions from the lists above.', [
    { field: 'from', message: `reachable from ${from}: ${list(fromHere)}` },
    { field: 'to', message: `leading to ${to}: ${list(toThere)}` },
  ]);
}
