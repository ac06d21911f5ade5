/**
 * The install, in order (DESIGN.md): verify, preflight and lock come before these
 * (they change nothing); packages are staged while the old version still serves
 * and `pre` migrations run then too, so the downtime is stop -> swap -> migrate -> start.
 */
import type { InstallStep } from '../step.js';
import { backup } from './backup.js';
import { saveValues } from './values.js';
import { stagePackages, activatePackages, pruneReleases } from './packages.js';
import { migratePre, migrateMain, migratePost } from './migrate.js';
import { stopServices, startServices, healthCheck } from './services.js';
import { writeConfigs } from './configs.js';
import { recordVersion } from './record.js';

export const INSTALL_STEPS: InstallStep[] = [
  backup,
  saveValues,
  stagePackages,
  migratePre,
  stopServices,
  activatePackages,
  writeConfigs,
  migrateMain,
  startServices,
  healthCheck,
  migratePost,
  recordVersion,
  pruneReleases,
];
