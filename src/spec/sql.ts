/**
 * SQL migrations: a file with an `-- up` section and an optional `-- down` section,
 * each starting at a line that is exactly the marker.
 */
import { usageError } from '../errors.js';

export interface SqlMigration {
  up: string;
  down?: string;
}

// exactly "-- up" / "-- down" (trailing spaces aside), so a comment such as "-- update x" is never a marker
const MARKER = /^-- (up|down)$/;
const isBlankOrComment = (line: string) => line.trim() === '' || line.trim().startsWith('--');

export function parseSqlMigration(text: string, file: string): SqlMigration {
  const sections: Partial<Record<'up' | 'down', string[]>> = {};
  let current: string[] | undefined;
  const before: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const marker = MARKER.exec(line.trimEnd())?.[1] as 'up' | 'down' | undefined;
    if (marker) {
      if (sections[marker]) {
        throw usageError('SQL_MIGRATION_INVALID', `${file} has two "-- ${marker}" sections`, `keep one "-- ${marker}" line and merge the statements under it`);
      }
      current = sections[marker] = [];
    } else (current ?? before).push(line);
  }
  if (!sections.up) {
    throw usageError('SQL_MIGRATION_INVALID', `${file} has no "-- up" section`, 'start the statements that apply the change with a line "-- up" (and those that undo it with "-- down")');
  }
  if (!before.every(isBlankOrComment)) {
    throw usageError('SQL_MIGRATION_INVALID', `${file} has statements before its "-- up" line`, 'move them under "-- up" or "-- down"');
  }
  const up = sections.up.join('\n').trim();
  if (!up || sections.up.every(isBlankOrComment)) {
    throw usageError('SQL_MIGRATION_INVALID', `${file} has an empty "-- up" section`, 'write the statements that apply the change under "-- up"');
  }
  const down = sections.down?.join('\n').trim();
  return down && !sections.down!.every(isBlankOrComment) ? { up, down } : { up };
}
