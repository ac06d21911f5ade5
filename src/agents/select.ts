/**
 * Which agents a rollout may touch: the `group` column of the agents table against
 * --only / --except and the site's agents.hold_groups (groups that never upgrade).
 * An agent with no group matches no --only and no hold.
 */
import { usageError } from '../errors.js';
import type { AgentRecord } from './types.js';

export interface Selection {
  only?: string[];
  except?: string[];
  hold?: string[];
}

export interface Selected {
  agents: AgentRecord[];
  held: number;
  unselected: number;
}

const list = (xs?: string[]) =>
  (xs ?? [])
    .flatMap((x) => x.split(','))
    .map((x) => x.trim())
    .filter(Boolean);

export function selectAgents(fleet: AgentRecord[], s: Selection, grouped: boolean): Selected {
  const only = new Set(list(s.only));
  const except = new Set(list(s.except));
  const hold = new Set(list(s.hold));
  if (!grouped && (only.size || except.size || hold.size)) {
    const what = only.size ? '--only' : except.size ? '--except' : 'agents.hold_groups';
    throw usageError(
      'AGENTS_NO_GROUPS',
      `${what} selects agents by group, but the agents table has no "group" column.`,
      'Add a text column "group" to the agents table (the product registers each agent\'s group there), or drop the option.',
    );
  }
  const agents: AgentRecord[] = [];
  let held = 0;
  let unselected = 0;
  for (const a of fleet) {
    const g = a.group ?? '';
    if (g && hold.has(g)) held++;
    else if ((only.size && !only.has(g)) || except.has(g)) unselected++;
    else agents.push(a);
  }
  return { agents, held, unselected };
}
