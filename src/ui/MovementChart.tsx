// Block movement pruning, live and in the run's trace: the loss (CE) and the share of masked entries per
// step, with the threshold τ and the attention groups / FFN neurons still kept in the text beside it.

import { useMemo } from 'react';
import type { TraceEntry } from '../pruning/plan';
import { StepChart } from './StepChart';

type MovementStep = Extract<TraceEntry, { kind: 'movement-step' }>;

export function movementSteps(trace: TraceEntry[]): MovementStep[] {
  return trace.filter((e): e is MovementStep => e.kind === 'movement-step');
}

export function MovementChart({ steps, testId = 'movement-chart' }: { steps: MovementStep[]; testId?: string }) {
  const x = useMemo(() => steps.map((s) => s.step), [steps]);
  const last = steps[steps.length - 1];
  return (
    <>
      <StepChart
        name="movement-pruning"
        title="Movement pruning: loss and masked share per step"
        testId={testId}
        steps={x}
        left={{ label: 'Loss (CE)', stroke: '#1d4ed8', width: 2, values: steps.map((s) => s.loss) }}
        right={{ label: 'Masked share', stroke: '#b45309', width: 2, values: steps.map((s) => s.sparsity) }}
        data={{ sparsity: steps.map((s) => s.sparsity.toFixed(4)).join(','), thresholds: steps.map((s) => s.threshold.toFixed(4)).join(',') }}
        now={last ? `now loss ${last.loss.toFixed(3)}, ${(100 * last.sparsity).toFixed(1)}% masked, τ ${last.threshold.toFixed(3)}, λ ${last.lambda.toFixed(2)}` : undefined}
      />
      {last && (
        <p className="muted small" data-testid={`${testId}-kept`}>
          Kept per block: attention groups {last.groupsKept.join(', ')}; FFN neurons {last.neuronsKept.join(', ')}.
        </p>
      )}
    </>
  );
}
