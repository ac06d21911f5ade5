/**
 * The one timestamp a build uses (manifest `created`, every archive mtime), so the
 * same inputs give the same bytes: SOURCE_DATE_EPOCH when set, else the project's
 * last commit time, else now (and the build says it is not reproducible).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { usageError } from '../errors.js';

export interface BuildEpoch {
  date: Date;
  source: 'SOURCE_DATE_EPOCH' | 'git' | 'clock';
}

export async function buildEpoch(env: NodeJS.ProcessEnv, projectRoot: string): Promise<BuildEpoch> {
  const raw = env.SOURCE_DATE_EPOCH;
  if (raw !== undefined && raw !== '') {
    if (!/^\d+$/.test(raw)) {
      throw usageError('BAD_SOURCE_DATE_EPOCH', `SOURCE_DATE_EPOCH must be whole seconds since 1970, not "${raw}".`, 'Set it with: export SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)');
    }
    return { date: new Date(Number(raw) * 1000), source: 'SOURCE_DATE_EPOCH' };
  }
  try {
    const { stdout } = await promisify(execFile)('git', ['log', '-1', '--format=%ct'], { cwd: projectRoot });
    const secs = Number(stdout.trim());
    if (secs > 0) return { date: new Date(secs * 1000), source: 'git' };
  } catch {
    // not a git checkout: fall through to the clock
  }
  return { date: new Date(Math.floor(Date.now() / 1000) * 1000), source: 'clock' };
}
