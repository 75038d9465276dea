// The Runs panel's side-by-side views in a responsive grid: perplexity vs ratio, speed, quality–speed
// frontier, per-layer sparsity heat map, block diagrams, search traces, generated text. They read the
// runs in the table's order (x / row = the run's number there) and update as runs arrive. No store import.

import type { RunRecord } from '../../store/run-record';
import { RunsChart } from '../RunsChart';
import { FrontierChart } from './FrontierChart';
import { GenerationCompare } from './GenerationCompare';
import { RunDiagrams } from './RunDiagrams';
import { RunTraces } from './RunTraces';
import { numbered } from './run-views-data';
import { SparsityHeatmap } from './SparsityHeatmap';
import { SpeedChart } from './SpeedChart';
import './runs.css';

export function RunsViews({ runs, describedBy }: { runs: RunRecord[]; describedBy: string }) {
  const rows = numbered(runs);
  return (
    <div className="runs-views" data-testid="runs-views">
      <div className="runs-view">
        <RunsChart runs={runs} describedBy={describedBy} />
      </div>
      <SpeedChart runs={rows} />
      <FrontierChart runs={rows} />
      <RunDiagrams runs={rows} />
      <SparsityHeatmap runs={rows} />
      <RunTraces runs={rows} />
      <GenerationCompare runs={rows} />
    </div>
  );
}
