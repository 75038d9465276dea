// SLEB's search, live and after: a uPlot chart of candidate perplexity per step (one series per step,
// x = block index in the original model) and a table of every candidate per step.

import type { MutableRefObject } from 'react';
import type uPlot from 'uplot';
import type { TraceEntry } from '../pruning/plan';
import { formatNumber } from './format';
import { useUPlot } from './use-uplot';

export type SlebStep = Extract<TraceEntry, { kind: 'sleb-step' }>;

export function slebSteps(trace: TraceEntry[]): SlebStep[] {
  return trace.filter((entry): entry is SlebStep => entry.kind === 'sleb-step');
}

const stepColors = ['#1d4ed8', '#b45309', '#047857', '#7c3aed', '#be123c', '#0e7490', '#4d7c0f', '#6b7280'];

function toData(steps: SlebStep[], numBlocks: number): uPlot.AlignedData {
  const xs = Array.from({ length: numBlocks }, (_, block) => block);
  const series = steps.map((step) => xs.map((block) => step.candidates.find((c) => c.block === block)?.ppl ?? null));
  return [xs, ...series];
}

/** `plotRef` (optional) receives the live plot, e.g. for PNG / SVG export. */
export function SlebChart({ steps, numBlocks, plotRef }: { steps: SlebStep[]; numBlocks: number; plotRef?: MutableRefObject<uPlot | null> }) {
  const seriesCount = steps.length;
  // A new step adds a series: rebuild the plot then (steps are few); new candidates only set data.
  const container = useUPlot({
    height: 260,
    build: () =>
      seriesCount === 0
        ? null
        : {
            scales: { x: { time: false } },
            series: [
              { label: 'Block' },
              ...Array.from({ length: seriesCount }, (_, i) => ({
                label: `Step ${i + 1}`,
                stroke: stepColors[i % stepColors.length],
                width: 2,
                spanGaps: false,
                points: { show: true, size: 6 },
              })),
            ],
            axes: [{ label: 'Block removed (original index)', incrs: [1, 2, 5, 10, 20, 50] }, { label: 'Calibration perplexity', size: 64 }],
          },
    data: () => toData(steps, numBlocks),
    rebuildKey: `${seriesCount}:${numBlocks}`,
    dataKey: steps,
    plotRef,
  });

  const candidates = steps.reduce((sum, step) => sum + step.candidates.length, 0);
  return (
    <div
      ref={container}
      className="chart small-chart"
      data-testid="sleb-chart"
      data-steps={steps.length}
      data-candidates={candidates}
      role="img"
      aria-label={`Calibration perplexity with each candidate block removed, ${steps.length} steps, ${candidates} candidates`}
    />
  );
}

/** Every candidate of every step; the chosen block is marked (chosen −1 while a step is running). */
export function SlebTable({ steps, testId }: { steps: SlebStep[]; testId: string }) {
  return (
    <table className="table compact" data-testid={testId} data-steps={steps.length}>
      <thead>
        <tr>
          <th scope="col">Step</th>
          <th scope="col" className="left">Candidates: block → calibration perplexity without it</th>
          <th scope="col">Removed</th>
        </tr>
      </thead>
      <tbody>
        {steps.map((step) => {
          const best = Math.min(...step.candidates.map((c) => c.ppl));
          return (
            <tr key={step.step} data-testid={`${testId}-step`} data-chosen={step.chosen}>
              <td>{step.step + 1}</td>
              <td className="left">
                <div className="candidates">
                  {step.candidates.map((c) => (
                    <span
                      key={c.block}
                      className={c.block === step.chosen || (step.chosen < 0 && c.ppl === best) ? 'candidate best' : 'candidate'}
                      data-testid="sleb-candidate"
                      data-block={c.block}
                      data-value={String(c.ppl)}
                    >
                      {c.block}: {formatNumber(c.ppl, 3)}
                    </span>
                  ))}
                </div>
              </td>
              <td>{step.chosen >= 0 ? `block ${step.chosen}` : '…'}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
