/**
 * Preflight checks of what the product asks of this manager, before any change:
 * every template, service command and health check renders with the site values
 * (a key the templates need but the values lack is named with the values file,
 * instead of failing half way through the install), and (process driver) every
 * service program that lives outside the release exists (a bare name: on PATH; an absolute path:
 * executable). Programs inside the release were checked against the package at
 * build time (src/spec/package-contents.ts).
 */
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import path from 'node:path';
import { isUphopError, type Problem } from '../errors.js';
import type { InstallContext } from './context.js';
import { renderConfigs } from './steps/configs.js';
import { healthChecks, serviceSpecs } from './units.js';

const problem = (message: string, hint: string): Problem => ({ message, hint });

const valuesFile = (ctx: InstallContext) => (ctx.opts.values ? path.resolve(ctx.opts.values) : ctx.L.values(ctx.manifest.product));

export const valuesCheck = {
  name: 'values',
  async run(ctx: InstallContext): Promise<Problem | undefined> {
    try {
      await renderConfigs(ctx);
      serviceSpecs(ctx, 'new');
      healthChecks(ctx, 'new');
    } catch (e) {
      if (!isUphopError(e) || e.code !== 'TEMPLATE_VALUE_MISSING') throw e;
      const key = /uses \$\{([^}]+)\}/.exec(e.message)?.[1] ?? 'the key';
      const file = valuesFile(ctx);
      return problem(`${e.message} of ${file}`, `add ${key} to ${file} (a dotted name is a nested key)${ctx.opts.values ? '' : ', or pass --values FILE'}, then run again`);
    }
  },
};

const executable = (file: string) =>
  access(file, constants.X_OK).then(
    () => true,
    () => false,
  );

async function onPath(name: string): Promise<boolean> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && (await executable(path.join(dir, name)))) return true;
  }
  return false;
}

export const commandsCheck = {
  name: 'commands',
  after: 'values',
  async run(ctx: InstallContext): Promise<Problem | undefined> {
    // systemd runs the site's own unit files: exec is the process driver's
    if (((ctx.values.services ?? {}) as { driver?: string }).driver === 'systemd') return;
    const missing: string[] = [];
    for (const svc of serviceSpecs(ctx, 'new')) {
      const program = svc.exec[0];
      if (svc.cwd && (program === svc.cwd || program.startsWith(`${svc.cwd}/`))) continue; // in the release: checked at build
      if (!program.includes('/')) {
        if (!(await onPath(program))) missing.push(`service ${svc.name} runs "${program}", which is not on PATH`);
      } else if (!path.isAbsolute(program))
        continue; // relative to the release folder, the service's working directory
      else if (!(await executable(program))) missing.push(`service ${svc.name} runs ${program}, which does not exist or is not executable`);
    }
    if (missing.length)
      return problem(missing.join('; '), 'install the program on this manager (or add its folder to PATH), or change service.exec in the hop spec to a program the package carries (${release}/...)');
  },
};
