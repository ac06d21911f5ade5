/** Every command of the `uphop` CLI, in the order --help lists them. */
import type { CommandDef } from '../command.js';
import { buildCommand } from './build.js';
import { verifyCommand } from './verify.js';
import { inspectAnyCommand } from './inspect-store.js';
import { keygenCommand } from './keygen.js';
import { publishCommand } from './publish.js';
import { planCommand } from './plan.js';
import { fetchCommand } from './fetch.js';
import { installCommand } from './install.js';
import { upgradeCommand } from './upgrade.js';
import { statusCommand, historyCommand, resumeCommand, rollbackCommand } from './manage.js';
import { agentsCommand } from './agents.js';
import { servicesCommand } from './services.js';
import { initCommand } from './init.js';
import { reportCommand } from './report.js';
import { testPathCommand } from './test-path.js';
import { rehearseCommand } from './rehearse.js';
import { supportBundleCommand } from './support-bundle.js';

export const COMMANDS: CommandDef[] = [
  initCommand,
  buildCommand,
  verifyCommand,
  inspectAnyCommand,
  keygenCommand,
  publishCommand,
  planCommand,
  fetchCommand,
  installCommand,
  upgradeCommand,
  statusCommand,
  historyCommand,
  resumeCommand,
  rollbackCommand,
  agentsCommand,
  servicesCommand,
  reportCommand,
  testPathCommand,
  rehearseCommand,
  supportBundleCommand,
];
