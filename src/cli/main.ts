#!/usr/bin/env node
// The only place that exits the process.
import { run } from './run.js';
import { COMMANDS } from './commands/index.js';

const code = await run(
  process.argv.slice(2),
  {
    out: { write: (t) => process.stdout.write(t), isTTY: process.stdout.isTTY },
    err: { write: (t) => process.stderr.write(t), isTTY: process.stderr.isTTY },
  },
  COMMANDS,
);
process.exitCode = code;
// Let stdout drain, then leave even if a library kept a handle open.
process.stdout.write('', () => process.exit(code));
