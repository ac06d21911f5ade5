/**
 * Command lines for the database client tools (pg_dump, pg_restore, mysqldump,
 * mysql) that the install's backup and the rehearsal's copy both run: the
 * server knex resolved, its connection arguments, the password in the tools'
 * own environment variable (never on a command line), and the dump itself.
 */
import type { Knex } from 'knex';

export type ServerClient = 'pg' | 'mysql';

export interface DbServer {
  host: string;
  port: number;
  user?: string;
  password?: string;
  database?: string;
}

/** the server settings the open knex resolved (from the url or the fields) */
export function serverOf(knex: Knex): DbServer {
  return { ...(knex.client.config.connection as DbServer) };
}

/** host, port and user as each tool spells them; the user defaults as the drivers' do */
export const toolAuth = (client: ServerClient, s: DbServer): string[] =>
  client === 'pg' ? ['-h', s.host, '-p', String(s.port), '-U', s.user ?? 'postgres'] : ['-h', s.host, '-P', String(s.port), '-u', s.user ?? 'root'];

/** the password where the tools read it */
export const toolEnv = (client: ServerClient, s: DbServer): Record<string, string> => (client === 'pg' ? { PGPASSWORD: s.password ?? '' } : { MYSQL_PWD: s.password ?? '' });

/**
 * The dump of the live database, read in one consistent snapshot: pg_dump's custom
 * format (of `schema` alone when set), or mysqldump in one transaction with the
 * routines. Written to `file` when given, else to stdout.
 */
export function dumpCommand(client: ServerClient, s: DbServer, o: { schema?: string; file?: string } = {}): string[] {
  if (client === 'pg') return ['pg_dump', '-Fc', ...toolAuth('pg', s), ...(o.file ? ['-f', o.file] : []), ...(o.schema ? ['-n', o.schema] : []), s.database ?? 'postgres'];
  return ['mysqldump', ...toolAuth('mysql', s), '--single-transaction', '--routines', ...(o.file ? [`--result-file=${o.file}`] : []), s.database ?? ''];
}
