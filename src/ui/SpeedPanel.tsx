// Latency and throughput: prefill and per-token decode measured apart, median/min/max over runs ("Measure"); then
// "Benchmark this model on my GPU" (speed/GpuBench: decode against context, bandwidth bound) and its saved measurements.

import type { Stat } from '../lab/lab-api';
import { isBusy } from '../store/lab-state';
import { useCancelling, useLab } from '../store/use-lab';
import { formatNumber } from './format';
import { useStoredSetting } from './use-stored-setting';
import { GpuBench } from './speed/GpuBench';
import { SavedBenchmarks } from './speed/SavedBenchmarks';

function StatRow({ label, stat, id, digits }: { label: string; stat: Stat; id: string; digits: number }) {
  return (
    <tr>
      <th scope="row">{label}</th>
      <td data-testid={`bench-${id}`} data-value={String(stat.median)}>
        {formatNumber(stat.median, digits)}
      </td>
      <td>{formatNumber(stat.min, digits)}</td>
      <td>{formatNumber(stat.max, digits)}</td>
    </tr>
  );
}

function NumberField(props: { label: string; id: string; value: string; onChange: (value: string) => void }) {
  return (
    <label>
      {props.label}
      <input type="number" min={1} step={1} data-testid={props.id} value={props.value} onChange={(e) => props.onChange(e.target.value)} />
    </label>
  );
}

export function SpeedPanel() {
  const speed = useLab((s) => s.speed);
  const hasModel = useLab((s) => s.model !== null);
  const busy = useLab(isBusy);
  const benchmark = useLab((s) => s.benchmark);
  const cancel = useLab((s) => s.cancel);
  const cancelling = useCancelling('speed');
  const [promptTokens, setPromptTokens] = useStoredSetting('speed.promptTokens', '128');
  const [genTokens, setGenTokens] = useStoredSetting('speed.genTokens', '64');
  const [runs, setRuns] = useStoredSetting('speed.runs', '5');
  const { status, progress, result } = speed;

  const run = () =>
    void benchmark({ promptTokens: Number(promptTokens), genTokens: Number(genTokens), runs: Number(runs) });

  return (
    <section className="card" aria-labelledby="speed-title">
      <h2 id="speed-title">Speed</h2>
      <div className="form">
        <NumberField label="Prompt tokens" id="bench-prompt-tokens" value={promptTokens} onChange={setPromptTokens} />
        <NumberField label="Generated tokens" id="bench-gen-tokens" value={genTokens} onChange={setGenTokens} />
        <NumberField label="Runs" id="bench-runs" value={runs} onChange={setRuns} />
        <div className="row">
          <button type="button" data-testid="bench-run" onClick={run} disabled={busy || !hasModel}>
            Measure
          </button>
          <button type="button" data-testid="bench-cancel" onClick={() => cancel('speed')} disabled={status !== 'running' || cancelling}>
            {cancelling ? 'Cancelling…' : 'Cancel'}
          </button>
        </div>
      </div>
      <p className="status" data-testid="bench-status" data-status={status} aria-live="polite">
        {status === 'running' && (progress ? `Running: ${progress.phase}, run ${progress.run} / ${progress.runs}` : 'Running…')}
        {status === 'running' && (
          <progress className="fraction" data-testid="bench-progress" max={Math.max(1, progress?.runs ?? 1)} value={progress ? Math.max(0, progress.run - (progress.phase === 'decode' ? 0.5 : 1)) : 0} aria-label="Speed test progress" />
        )}
        {status === 'done' && 'Done.'}
        {status === 'cancelled' && 'Cancelled.'}
        {status === 'failed' && 'Failed (see the error above).'}
      </p>
      {result && (
        <>
          <table className="table results" data-testid="bench-result">
            <thead>
              <tr>
                <th scope="col">
                  {result.promptTokens} prompt + {result.genTokens} generated tokens, {result.runs} runs
                </th>
                <th scope="col">Median</th>
                <th scope="col">Min</th>
                <th scope="col">Max</th>
              </tr>
            </thead>
            <tbody>
              <StatRow label="Prefill (ms)" stat={result.prefillMs} id="prefill-ms" digits={1} />
              <StatRow label="Prefill (tokens/s)" stat={result.prefillTokensPerS} id="prefill-tps" digits={0} />
              <StatRow label="Decode (ms/token)" stat={result.decodeMsPerToken} id="decode-ms" digits={2} />
              <StatRow label="Decode (tokens/s)" stat={result.decodeTokensPerS} id="decode-tps" digits={1} />
            </tbody>
          </table>
          <p className="muted small">
            On {result.backend}
            {result.adapter ? ` (${result.adapter})` : ''}.
            {result.isSoftwareAdapter && ' Software adapter: these timings say nothing about GPU speed.'}
          </p>
        </>
      )}
      <GpuBench />
      <SavedBenchmarks />
    </section>
  );
}
