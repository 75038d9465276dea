// DReSS's regularization, live and in the run's trace: LM loss and Σ‖slice‖₂ of the channels it will
// delete, per step.

import { useMemo } from 'react';
import type { TraceEntry } from '../pruning/plan';
import { StepChart } from './StepChart';

type DressStep = Extract<TraceEntry, { kind: 'dress-step' }>;

export function dressSteps(trace: TraceEntry[]): DressStep[] {
  return trace.filter((e): e is DressStep => e.kind === 'dress-step');
}

export function DressChart({ steps, testId = 'dress-chart' }: { steps: DressStep[]; testId?: string }) {
  const x = useMemo(() => steps.map((s) => s.step), [steps]);
  const last = steps[steps.length - 1];
  return (
    <StepChart
      name="dress-regularization"
      title="DReSS: LM loss and the norm of the slices to delete"
      testId={testId}
      steps={x}
      left={{ label: 'LM loss', stroke: '#1d4ed8', width: 2, values: steps.map((s) => s.loss) }}
      right={{ label: 'Σ‖slice‖₂', stroke: '#b45309', width: 2, values: steps.map((s) => s.sliceNorm) }}
      data={{ 'slice-norms': steps.map((s) => s.sliceNorm).join(',') }}
      now={last ? `now loss ${last.loss.toFixed(3)} and slice norm ${last.sliceNorm.toFixed(3)}` : undefined}
    />
  );
}
