// Entry of the bundled installer (installer/uphop-installer.cjs inside every bundle):
// the customer-side commands only, runnable with nothing but node.
import { run } from './run.js';
import { INSTALLER_COMMANDS } from './commands/installer-index.js';

void run(
  process.argv.slice(2),
  {
    out: { write: (t) => process.stdout.write(t), isTTY: process.stdout.isTTY },
    err: { write: (t) => process.stderr.write(t), isTTY: process.stderr.isTTY },
  },
  INSTALLER_COMMANDS,
).then((code) => {
  process.exitCode = code;
  process.stdout.write('', () => process.exit(code));
});
