/** `uphop services start|stop|restart|unit`: the installed version's services outside an install. */
import path from 'node:path';
import type { CommandDef } from '../command.js';
import type { ServicesAction, ServicesResult } from '../../install/service-control.js';
import { rootOption } from '../options.js';

interface Opts {
  action: ServicesAction | 'unit';
  root: string;
}
type Result = ServicesResult | { name: string; text: string };

export const servicesCommand: CommandDef<Opts, Result> = {
  name: 'services',
  command: 'services <action>',
  describe: "Start, stop or restart the installed version's services (with its health checks), or print a boot unit that starts them",
  builder: (y) => rootOption(y).positional('action', { type: 'string', choices: ['start', 'stop', 'restart', 'unit'], describe: 'start, stop, restart, or unit (print a systemd unit for boot)' }),
  async run(o, ctx) {
    const root = path.resolve(ctx.cwd, o.root);
    if (o.action === 'unit') {
      // the unit runs this same program (the uphop CLI or a bundle's installer) with this node
      const command = [process.execPath, path.resolve(process.argv[1] ?? 'uphop')];
      return { result: await (await import('../../install/boot-unit.js')).bootUnit({ root, command }) };
    }
    return { result: await (await import('../../install/service-control.js')).controlServices({ root, action: o.action, emit: ctx.emit }) };
  },
  human: (r) => ('text' in r ? r.text : r.message),
};
