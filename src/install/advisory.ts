/** The preflight checks that only advise, so --ignore-preflight may skip them (kept apart: the CLI lists them without loading the installer). */
export const ADVISORY_CHECKS = ['disk', 'hook'] as const;
export type AdvisoryCheck = (typeof ADVISORY_CHECKS)[number];
