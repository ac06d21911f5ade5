/**
 * Step events and the report they add up to: a step is timed and emitted as
 * begin/end/fail, and every finished step is recorded for the command's result.
 * Shared by install, resume and rollback, so it lives below all three.
 */
import type { Emit } from '../events.js';
import type { InstallContext } from './context.js';

export interface StepReport {
  step: string;
  status: string;
  ms?: number;
  detail?: string;
}

export async function timedStep(ctx: Pick<InstallContext, 'emit'>, name: string, fn: () => Promise<string | void>) {
  const t = Date.now();
  ctx.emit({ type: 'step', step: name, status: 'begin' });
  try {
    const detail = await fn();
    ctx.emit({ type: 'step', step: name, status: 'end', ms: Date.now() - t, detail: detail || undefined });
  } catch (e) {
    ctx.emit({ type: 'step', step: name, status: 'fail', ms: Date.now() - t, detail: (e as Error).message });
    throw e;
  }
}

export function recordSteps(emit: Emit, into: StepReport[]): Emit {
  return (e) => {
    if (e.type === 'step' && e.status !== 'begin') into.push({ step: String(e.step), status: String(e.status), ms: e.ms as number | undefined, detail: e.detail as string | undefined });
    emit(e);
  };
}
