/** sha256 of a migration file's bytes, streamed: what uphop_migrations records and drift compares. */
import { failure, messageOf } from '../errors.js';
import { hashFile } from '../bundle/hash.js';

export async function sha256File(file: string): Promise<string> {
  try {
    return (await hashFile(file)).sha256;
  } catch (e) {
    throw failure('MIGRATION_MISSING', `Cannot read the migration file ${file}: ${messageOf(e)}.`, 'verify the bundle (uphop verify) or extract it again: its migrations/ folder is incomplete');
  }
}
