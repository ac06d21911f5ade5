/** What `uphop install` (and resume, which finishes one) returns. */
import type { AgentsResult } from '../agents/api.js';
import type { ConfigOutcome } from './context.js';
import type { DryRunPlan } from './dry-run.js';
import type { StepReport } from './step-report.js';

export interface InstallResult {
  outcome: 'installed' | 'nothing-to-do' | 'dry-run';
  bundle: string;
  product: string;
  from: string;
  to: string;
  ms: number;
  message: string;
  steps: StepReport[];
  configs: ConfigOutcome[];
  plan?: DryRunPlan;
  /** the agent rollout that followed a successful install */
  agents?: AgentsResult;
}
