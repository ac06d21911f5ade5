/** Every command of the `uphop` CLI, in the order --help lists them. */
import type { CommandDef } from '../command.js';
import { buildCommand } from './build.js';
import { verifyCommand } from './verify.js';
import { inspectCommand } from './inspect.js';
import { keygenCommand } from './keygen.js';
import { installCommand } from './install.js';
import { statusCommand, historyCommand, resumeCommand, rollbackCommand } from './manage.js';

export const COMMANDS: CommandDef[] = [
  buildCommand, verifyCommand, inspectCommand, keygenCommand,
  installCommand, statusCommand, historyCommand, resumeCommand, rollbackCommand,
];
