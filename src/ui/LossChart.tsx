// Live training loss (and learning rate) per step while a fine-tuning runs.

import { useMemo } from 'react';
import type { FinetuneStep } from '../lab/lab-api';
import { StepChart } from './StepChart';

export function LossChart({ steps }: { steps: FinetuneStep[] }) {
  const x = useMemo(() => steps.map((s) => s.step), [steps]);
  return (
    <StepChart
      name="training-loss"
      title="Training loss per step"
      testId="ft-chart"
      steps={x}
      left={{ label: 'Loss (mean NLL)', stroke: '#1d4ed8', width: 2, values: steps.map((s) => s.loss) }}
      right={{ label: 'Learning rate', stroke: '#9ca3af', width: 1, values: steps.map((s) => s.lr) }}
    />
  );
}
