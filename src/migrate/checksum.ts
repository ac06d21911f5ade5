/** sha256 of a migration file's bytes, streamed: what uphop_migrations records and drift compares. */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { failure, messageOf } from '../errors.js';

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  try {
    await pipeline(createReadStream(file), hash);
  } catch (e) {
    throw failure('MIGRATION_MISSING', `Cannot read the migration file ${file}: ${messageOf(e)}.`, 'verify the bundle (uphop verify) or extract it again: its migrations/ folder is incomplete');
  }
  return hash.digest('hex');
}
