/**
 * The boot hook for the process driver, which starts nothing after a reboot: a
 * systemd unit that runs `uphop services start` at boot and `services stop` at
 * shutdown (oneshot, so the unit is "active" while the services run in its cgroup).
 */
import path from 'node:path';
import { layout } from './layout.js';
import { readState } from './state.js';

const quote = (arg: string) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `"${arg.replace(/(["\\])/g, '\\$1')}"`);

export async function bootUnit(req: { root: string; command: string[] }): Promise<{ name: string; text: string }> {
  const root = path.resolve(req.root);
  const product = (await readState(layout(root).state))?.product ?? 'manager';
  const cmd = (action: string) => [...req.command, 'services', action, '--root', root].map(quote).join(' ');
  const name = `uphop-${product}.service`;
  const text = [
    `# Starts the ${product} services under ${root} at boot (uphop's process driver does not).`,
    `# Install: save as /etc/systemd/system/${name}, then`,
    `#   systemctl daemon-reload && systemctl enable ${name}`,
    '[Unit]',
    `Description=${product} services under ${root} (uphop services start)`,
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    'Type=oneshot',
    'RemainAfterExit=yes',
    `ExecStart=${cmd('start')}`,
    `ExecStop=${cmd('stop')}`,
    'TimeoutStartSec=300',
    'TimeoutStopSec=120',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
  return { name, text };
}
