// "Benchmark this model on my GPU" (store gpuBench → Lab.benchmarkGpu): settings, progress (phase, point i of n) and
// Cancel; the result: prefill / decode with the bandwidth bound and "x% of the bound" beside each decode figure, decode
// ms/token against context (chart + table), the adapter named, and a plain note when the adapter is software.

import type { DecodeFigure, GpuBenchResult } from '../../lab/lab-api';
import { DEFAULT_SWEEP_UP_TO } from '../../evaluation/context-sweep';
import { isBusy } from '../../store/lab-state';
import { adapterText } from '../../store/speed-record';
import { useCancelling, useLab } from '../../store/use-lab';
import { formatBytes, formatNumber } from '../format';
import { useStoredSetting } from '../use-stored-setting';
import { SweepChart } from './SweepChart';

const phaseText = { bandwidth: 'measuring the read bandwidth', 'prefill-decode': 'prefill and decode', sweep: 'decode against context' } as const;

/** "42.0%" of the bound, or "—" without one. */
export function boundShare(figure: Pick<DecodeFigure, 'bound'>): string {
  return figure.bound ? `${formatNumber(figure.bound.fractionOfBound * 100, 1)}%` : '—';
}

function Field(props: { label: string; id: string; value: string; onChange: (v: string) => void; max?: number; help?: string }) {
  return (
    <label>
      {props.label}
      <input type="number" min={1} max={props.max} step={1} data-testid={props.id} value={props.value} onChange={(e) => props.onChange(e.target.value)}
        aria-describedby={props.help ? `${props.id}-help` : undefined} />
      {props.help && <span className="muted small" id={`${props.id}-help`}>{props.help}</span>}
    </label>
  );
}

function DecodeRow({ label, figure, id }: { label: string; figure: DecodeFigure; id: string }) {
  return (
    <tr>
      <th scope="row">{label}</th>
      <td data-testid={`${id}-ms`} data-value={String(figure.msPerToken.median)}>{formatNumber(figure.msPerToken.median, 2)}</td>
      <td data-testid={`${id}-tps`} data-value={String(figure.tokensPerS.median)}>{formatNumber(figure.tokensPerS.median, 1)}</td>
      <td data-testid={`${id}-bound`} data-value={figure.bound ? String(figure.bound.boundTokensPerS) : ''}>{figure.bound ? formatNumber(figure.bound.boundTokensPerS, 1) : '—'}</td>
      <td data-testid={`${id}-fraction`} data-value={figure.bound ? String(figure.bound.fractionOfBound) : ''}>{boundShare(figure)}</td>
    </tr>
  );
}

function GpuBenchResultView({ result }: { result: GpuBenchResult }) {
  const adapter = adapterText(result.adapter);
  return (
    <div data-testid="gpu-bench-result">
      <p className="small">
        <span data-testid="gpu-bench-adapter">{adapter ?? 'no GPU adapter'}</span> · {result.backend} · {result.precision} ·{' '}
        {result.which === 'pruned' ? 'the pruned model' : 'the model as loaded'} ({result.layers} blocks) · read bandwidth{' '}
        <span data-testid="gpu-bench-bandwidth" data-value={result.bandwidth ? String(result.bandwidth.gbPerS.median) : ''}>
          {result.bandwidth ? `${formatNumber(result.bandwidth.gbPerS.median, 1)} GB/s` : `not measured (${result.bandwidthNote ?? 'no GPU'})`}
        </span>
        {result.peakGpuBytes !== null && <> · peak GPU memory <span data-testid="gpu-bench-peak" data-value={String(result.peakGpuBytes)}>{formatBytes(result.peakGpuBytes)}</span></>}
      </p>
      {result.isSoftwareAdapter && (
        <p className="warning small" data-testid="gpu-bench-software-note">
          Software adapter ({adapter ?? 'CPU'}): the GPU work runs on the CPU, so these timings say nothing about GPU speed.
        </p>
      )}
      <table className="table results">
        <caption className="muted small" style={{ captionSide: 'bottom', textAlign: 'left' }}>
          Bound: the tokens/s the read bandwidth allows when every weight ({formatBytes(result.weightsBytes)}) and the whole KV cache
          ({formatBytes(result.kvBytesPerToken)} per cached token) are read once per new token.
        </caption>
        <thead>
          <tr>
            <th scope="col">{result.promptTokens} prompt + {result.genTokens} generated tokens, {result.runs} runs (medians)</th>
            <th scope="col">ms</th>
            <th scope="col">tokens/s</th>
            <th scope="col">Bound (tokens/s)</th>
            <th scope="col">Share of the bound</th>
          </tr>
        </thead>
        <tbody>
          <tr>
            <th scope="row">Prefill (ms for {result.promptTokens} tokens)</th>
            <td data-testid="gpu-bench-prefill-ms" data-value={String(result.prefillMs.median)}>{formatNumber(result.prefillMs.median, 1)}</td>
            <td data-testid="gpu-bench-prefill-tps" data-value={String(result.prefillTokensPerS.median)}>{formatNumber(result.prefillTokensPerS.median, 0)}</td>
            <td>—</td>
            <td>—</td>
          </tr>
          <DecodeRow label={`Decode after ${result.decode.contextTokens} tokens (ms per token)`} figure={result.decode} id="gpu-bench-decode" />
        </tbody>
      </table>
      <h3 className="small">Decode against context length</h3>
      <SweepChart sweep={result.sweep} describedBy="gpu-bench-sweep-table" />
      <div className="table-scroll" role="region" aria-label="Decode against context length, data" tabIndex={0}>
        <table className="table compact" id="gpu-bench-sweep-table" data-testid="gpu-bench-sweep-table">
          <thead>
            <tr>
              <th scope="col">Context (tokens)</th>
              <th scope="col">ms/token (median)</th>
              <th scope="col">min</th>
              <th scope="col">max</th>
              <th scope="col">tokens/s</th>
              <th scope="col">Bound (tokens/s)</th>
              <th scope="col">Share of the bound</th>
            </tr>
          </thead>
          <tbody>
            {result.sweep.map((p) => (
              <tr key={p.contextTokens} data-testid="gpu-bench-sweep-row" data-context={p.contextTokens}>
                <th scope="row">{p.contextTokens}</th>
                <td>{formatNumber(p.msPerToken.median, 2)}</td>
                <td>{formatNumber(p.msPerToken.min, 2)}</td>
                <td>{formatNumber(p.msPerToken.max, 2)}</td>
                <td>{formatNumber(p.tokensPerS.median, 1)}</td>
                <td>{p.bound ? formatNumber(p.bound.boundTokensPerS, 1) : '—'}</td>
                <td data-value={p.bound ? String(p.bound.fractionOfBound) : ''}>{boundShare(p)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

export function GpuBench() {
  const job = useLab((s) => s.gpuBench);
  const model = useLab((s) => s.model);
  const hasPruned = useLab((s) => s.pruning.job.status === 'done' && s.pruning.job.result !== null);
  const busy = useLab(isBusy);
  const benchmarkGpu = useLab((s) => s.benchmarkGpu);
  const cancel = useLab((s) => s.cancel);
  const cancelling = useCancelling('gpuBench');
  const [promptTokens, setPromptTokens] = useStoredSetting('gpuBench.promptTokens', '128');
  const [genTokens, setGenTokens] = useStoredSetting('gpuBench.genTokens', '32');
  const [runs, setRuns] = useStoredSetting('gpuBench.runs', '3');
  const [upTo, setUpTo] = useStoredSetting('gpuBench.upToTokens', String(DEFAULT_SWEEP_UP_TO));
  const [which, setWhich] = useStoredSetting<'loaded' | 'pruned'>('gpuBench.which', 'loaded', ['loaded', 'pruned']);
  const limit = model ? model.maxPositionEmbeddings - Math.max(1, Number(genTokens) || 1) : undefined;
  const { status, progress, result } = job;
  const measuredWhich = which === 'pruned' && hasPruned ? 'pruned' : 'loaded';

  const run = () =>
    void benchmarkGpu({
      which: measuredWhich,
      promptTokens: Number(promptTokens),
      genTokens: Number(genTokens),
      runs: Number(runs),
      // The default points stop at the model's limit; a larger "up to" is capped there.
      upToTokens: limit !== undefined ? Math.min(Number(upTo), limit) : Number(upTo),
    });

  return (
    <section className="gpu-bench" data-testid="gpu-bench" aria-labelledby="gpu-bench-title">
      <h3 id="gpu-bench-title">Benchmark this model on my GPU</h3>
      <p className="muted small">
        Prefill and decode, decode against context length (the KV cache filled to each length, 10 points up to the limit you
        set; this model allows {model ? model.maxPositionEmbeddings : '—'} tokens), the adapter’s read bandwidth and, beside each
        decode figure, the share of what that bandwidth allows. Each measurement is kept in this browser.
      </p>
      <div className="form">
        <Field label="Prompt tokens" id="gpu-bench-prompt-tokens" value={promptTokens} onChange={setPromptTokens} />
        <Field label="Generated tokens" id="gpu-bench-gen-tokens" value={genTokens} onChange={setGenTokens} />
        <Field label="Runs" id="gpu-bench-runs" value={runs} onChange={setRuns} />
        <Field label="Context up to (tokens)" id="gpu-bench-up-to" value={upTo} onChange={setUpTo} max={limit}
          help={limit !== undefined ? `at most ${limit} for this model` : undefined} />
        <label>
          Model
          <select data-testid="gpu-bench-which" value={measuredWhich} onChange={(e) => setWhich(e.target.value as 'loaded' | 'pruned')}>
            <option value="loaded">as loaded</option>
            <option value="pruned" disabled={!hasPruned}>the last pruning run’s</option>
          </select>
        </label>
        <div className="row">
          <button type="button" data-testid="gpu-bench-run" onClick={run} disabled={busy || !model}>
            Benchmark this model on my GPU
          </button>
          <button type="button" data-testid="gpu-bench-cancel" onClick={() => cancel('gpuBench')} disabled={status !== 'running' || cancelling}>
            {cancelling ? 'Cancelling…' : 'Cancel'}
          </button>
        </div>
      </div>
      <p className="status" data-testid="gpu-bench-status" data-status={status} aria-live="polite">
        {status === 'running' &&
          (progress
            ? `Running: ${phaseText[progress.phase]}${progress.point ? `, point ${progress.point} of ${progress.points} (${progress.contextTokens} tokens)` : ''}`
            : 'Running…')}
        {status === 'running' && (
          <progress className="fraction" data-testid="gpu-bench-progress" max={1} value={progress?.fraction ?? 0} aria-label="GPU benchmark progress" />
        )}
        {status === 'done' && 'Done; saved below.'}
        {status === 'cancelled' && 'Cancelled.'}
        {status === 'failed' && 'Failed (see the error above).'}
      </p>
      {result && <GpuBenchResultView result={result} />}
    </section>
  );
}
