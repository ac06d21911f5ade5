/** The commands the bundled installer carries: what a customer runs on the manager. */
import type { CommandDef } from '../command.js';
import { verifyCommand } from './verify.js';
import { inspectCommand } from './inspect.js';
import { installCommand } from './install.js';
import { statusCommand, historyCommand, resumeCommand, rollbackCommand } from './manage.js';
import { agentsCommand } from './agents.js';
import { servicesCommand } from './services.js';
import { reportCommand } from './report.js';
import { supportBundleCommand } from './support-bundle.js';

export const INSTALLER_COMMANDS: CommandDef[] = [
  installCommand,
  statusCommand,
  historyCommand,
  resumeCommand,
  rollbackCommand,
  agentsCommand,
  servicesCommand,
  verifyCommand,
  inspectCommand,
  reportCommand,
  supportBundleCommand,
];
