/** Options that several commands share, below every command that uses them. */
import type { Argv } from 'yargs';

export const rootOption = (y: Argv) => y.option('root', { type: 'string', default: '/', describe: 'the manager root (everything lives under it)' });
