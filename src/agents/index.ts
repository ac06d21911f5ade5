/**
 * `uphop agents`: the fleet view, and rolling the agents the manager's DB lists
 * out to the agent version of the installed bundle (pause, continue, abort). The
 * package is served from the kept bundle copy over HTTP and each agent checks its
 * sha256 from the signed manifest; outcomes go to the progress log and the DB.
 */
export type { AgentsRequest, AgentsResult, Fleet } from './api.js';
export { openFleet } from './fleet.js';
export { abortRollout, continueRollout, rolloutAgents } from './rollout.js';
export { listFleet, type AgentsList, type FleetSummary, type ListRequest } from './fleet-view.js';
