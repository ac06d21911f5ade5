/** planPath over hop lists: table-driven. */
import { describe, expect, it } from 'vitest';
import { UphopError } from '../../src/errors.js';
import { leadingTo, planPath, reachableFrom, type PlanHop } from '../../src/plan/graph.js';

const hop = (from: string, to: string): PlanHop => ({ product: 'beacon', from, to, file: `beacon-${from}-to-${to}.tar.gz` });
const chainOf = (hops: PlanHop[]) => hops.map((h) => `${h.from}->${h.to}`);

const beacon = [hop('none', '3.4.2'), hop('3.4.2', '4.0.1'), hop('4.0.1', '4.1.1'), hop('4.1.1', '4.2.0')];

describe('planPath', () => {
  it.each<[string, PlanHop[], string, string, string[]]>([
    ['the reference chain: three hops', beacon, '3.4.2', '4.2.0', ['3.4.2->4.0.1', '4.0.1->4.1.1', '4.1.1->4.2.0']],
    ['one hop', beacon, '4.0.1', '4.1.1', ['4.0.1->4.1.1']],
    ['same version: nothing to do', beacon, '4.1.1', '4.1.1', []],
    ['fresh install starts at none', beacon, 'none', '4.0.1', ['none->3.4.2', '3.4.2->4.0.1']],
    ['fewest hops when a shortcut exists', [...beacon, hop('3.4.2', '4.1.1')], '3.4.2', '4.2.0', ['3.4.2->4.1.1', '4.1.1->4.2.0']],
    ['fewest hops whatever the listing order', [hop('4.0.1', '4.2.0'), ...beacon], '3.4.2', '4.2.0', ['3.4.2->4.0.1', '4.0.1->4.2.0']],
    ['a range accepts every version it satisfies', [hop('>=4.0.0 <4.2.0', '4.2.0'), ...beacon], '4.0.1', '4.2.0', ['>=4.0.0 <4.2.0->4.2.0']],
    ['a caret range', [hop('^3.4.0', '4.1.1'), hop('4.1.1', '4.2.0')], '3.4.9', '4.2.0', ['^3.4.0->4.1.1', '4.1.1->4.2.0']],
    ['an exact hop wins a tie with a range hop', [hop('4.x', '4.2.0'), hop('4.1.1', '4.2.0')], '4.1.1', '4.2.0', ['4.1.1->4.2.0']],
    ['a v-prefixed version is the same version', beacon, 'v4.0.1', '4.2.0', ['4.0.1->4.1.1', '4.1.1->4.2.0']],
  ])('%s', (_name, hops, from, to, want) => {
    expect(chainOf(planPath(hops, from, to))).toEqual(want);
  });

  it.each<[string, PlanHop[], string, string]>([
    ['a range does not accept versions outside it', [hop('>=4.0.0 <4.1.0', '4.2.0')], '4.1.1', '4.2.0'],
    ['none is only a fresh install', [hop('*', '4.2.0')], 'none', '4.2.0'],
    ['no downgrades', beacon, '4.2.0', '4.0.1'],
  ])('no path: %s', (_name, hops, from, to) => {
    expect(() => planPath(hops, from, to)).toThrow(UphopError);
  });

  it('says which versions are reachable from A and which lead to B when there is no path', () => {
    const gap = [hop('3.4.2', '4.0.1'), hop('4.0.1', '4.1.1'), hop('5.0.0', '5.1.0'), hop('4.9.0', '5.1.0')];
    const err = (() => {
      try {
        planPath(gap, '3.4.2', '5.1.0');
      } catch (e) {
        return e as UphopError;
      }
    })()!;
    expect(err).toMatchObject({ code: 'NO_PATH', exitCode: 2 });
    expect(err.message).toBe('No chain of hops leads from 3.4.2 to 5.1.0.');
    expect(err.problems.map((p) => p.message)).toEqual(['reachable from 3.4.2: 4.0.1, 4.1.1', 'leading to 5.1.0: 4.9.0, 5.0.0']);
    expect(reachableFrom(gap, '3.4.2')).toEqual(['4.0.1', '4.1.1']);
    expect(leadingTo(gap, '5.1.0')).toEqual(['4.9.0', '5.0.0']);
    expect(reachableFrom(gap, '9.9.9')).toEqual([]);
  });
});
