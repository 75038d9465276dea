// The compression-law experiment: a structured method over a ratio grid and recovery budgets, its points
// live (table and chart), stop, then the fitted law (coefficients with 95% intervals, R², line vs
// quadratic, critical ratio) and CSV / JSON downloads.

import type { LawRequest, LawResult } from '../../lab/lab-api';
import { isBusy } from '../../store/lab-state';
import { parseRatios } from '../../store/run-queue';
import { useCancelling, useLab } from '../../store/use-lab';
import { downloadText } from '../download-text';
import { formatNumber } from '../format';
import { LawChart } from './LawChart';
import { lawPointsCsv } from './law-data';
import { useStoredSetting } from '../use-stored-setting';

const maybe = (v: number | null | undefined, digits = 3) => (v === null || v === undefined ? '—' : formatNumber(v, digits));

function FitSummary({ result }: { result: LawResult }) {
  const law = result.loss;
  if (!law) return <p className="muted small">Fewer than two points: nothing to fit.</p>;
  return (
    <div data-testid="law-fit" data-r2={law.noIntercept.r2} data-better={law.better ?? ''}>
      <p data-testid="law-verdict">
        <strong>{law.verdict}</strong>. Loss against r: {law.better ?? 'not enough points to compare'} (line R² {maybe(law.linear?.r2)}, quadratic R² {maybe(law.quadratic?.r2)}).
      </p>
      <table className="table compact">
        <thead>
          <tr><th scope="col">Form</th><th scope="col">Coefficient</th><th scope="col">Value</th><th scope="col">95% interval</th></tr>
        </thead>
        <tbody>
          {[law.noIntercept, law.intercept].flatMap((fit) =>
            fit.coefficients.map((c) => (
              <tr key={`${fit.form}-${c.name}`}>
                <td>{fit.form} (R² {maybe(fit.r2)})</td>
                <td>{c.name}</td>
                <td>{c.value === null ? 'not identified' : maybe(c.value, 4)}</td>
                <td>{c.ci95 ? `${maybe(c.ci95[0], 4)} … ${maybe(c.ci95[1], 4)}` : '—'}</td>
              </tr>
            )),
          )}
        </tbody>
      </table>
      {result.critical && (
        <p data-testid="law-critical">
          Critical compression at loss {result.lossThreshold}:{' '}
          {result.critical.map((c) => `${c.compression === null ? 'none' : `${(100 * c.compression).toFixed(1)}%`} with ${c.rftTokens} recovery tokens`).join('; ')}.
        </p>
      )}
    </div>
  );
}

export function LawsPanel() {
  const laws = useLab((s) => s.laws);
  const methods = useLab((s) => s.pruning.methods).filter((m) => m.ratioParam && m.kind !== 'sparsity');
  const hasModel = useLab((s) => s.model !== null);
  const busy = useLab(isBusy);
  const run = useLab((s) => s.lawExperiment);
  const cancel = useLab((s) => s.cancel);
  const cancelling = useCancelling('laws');
  const showError = useLab((s) => s.showError);
  const [methodId, setMethodId] = useStoredSetting('laws.method', 'shortgpt');
  const [ratios, setRatios] = useStoredSetting('laws.ratios', '0, 0.2, 0.4, 0.6');
  const [budgets, setBudgets] = useStoredSetting('laws.rftTokens', '0');
  const [maxWindows, setMaxWindows] = useStoredSetting('laws.maxWindows', '8');
  const [threshold, setThreshold] = useStoredSetting('laws.lossThreshold', '');
  const [accuracy, setAccuracy] = useStoredSetting('laws.accuracy', false);

  const start = () => {
    const parsed = parseRatios(ratios);
    if ('error' in parsed) return showError({ code: 'bad-argument', message: `Ratios: ${parsed.error}` }, 'Running the compression-law experiment');
    const tokens = budgets.split(/[\s,]+/).filter(Boolean).map(Number);
    if (tokens.some((t) => !Number.isInteger(t) || t < 0)) return showError({ code: 'bad-argument', message: `Recovery tokens: whole numbers ≥ 0, got "${budgets}"` }, 'Running the compression-law experiment');
    const request: LawRequest = {
      methodId,
      ratios: parsed.ratios,
      rftTokens: tokens.length > 0 ? tokens : [0],
      calibration: { text: { kind: 'bundled', id: 'tinystories' }, windows: 8, seqLen: 128 },
      text: { kind: 'bundled', id: 'wikitext2' },
      seqLen: 128,
      maxWindows: Number.parseInt(maxWindows, 10) || undefined,
      ...(accuracy ? { accuracy: { data: { kind: 'bundled', id: 'hellaswag' }, maxItems: 40 } } : {}),
      ...(threshold.trim() ? { lossThreshold: Number(threshold) } : {}),
    };
    void run(request);
  };
  const { status, progress, result, points } = laws;

  return (
    <section className="card" aria-labelledby="laws-title">
      <h2 id="laws-title">Compression laws</h2>
      <p className="muted small">
        Prunes this model at every ratio with one structured method, recovers each pruned model with every fine-tuning budget, measures test loss
        on WikiText-2, and fits L = L₀^α (1 + r)^β (1 + 1/(D + 1))^γ (r: share of parameters removed; D: recovery tokens in millions).
      </p>
      <div className="form">
        <label>
          Method
          <select data-testid="law-method" value={methodId} onChange={(e) => setMethodId(e.target.value)}>
            {methods.map((m) => (
              <option key={m.id} value={m.id}>{m.label}</option>
            ))}
          </select>
        </label>
        <label>
          Ratios <input type="text" data-testid="law-ratios" value={ratios} onChange={(e) => setRatios(e.target.value)} />
        </label>
        <label>
          Recovery tokens <input type="text" data-testid="law-budgets" value={budgets} onChange={(e) => setBudgets(e.target.value)} />
        </label>
        <label>
          Test windows <input type="number" min={1} data-testid="law-max-windows" value={maxWindows} onChange={(e) => setMaxWindows(e.target.value)} />
        </label>
        <label>
          Loss threshold <input type="text" inputMode="decimal" placeholder="none" data-testid="law-threshold" value={threshold} onChange={(e) => setThreshold(e.target.value)} />
        </label>
        <label className="check">
          <input type="checkbox" data-testid="law-accuracy" checked={accuracy} onChange={(e) => setAccuracy(e.target.checked)} /> Zero-shot accuracy (40 HellaSwag items)
        </label>
        <div className="row">
          <button type="button" data-testid="law-run" disabled={busy || !hasModel || methods.length === 0} onClick={start}>
            Run
          </button>
          <button type="button" data-testid="law-cancel" onClick={() => cancel('laws')} disabled={status !== 'running' || cancelling}>
            {cancelling ? 'Cancelling…' : 'Stop'}
          </button>
        </div>
      </div>
      <p className="status" data-testid="law-status" data-status={status} data-points={points.length} aria-live="polite">
        {status === 'running' && (progress ? `Running: ${progress.pointsDone} / ${progress.points} points — ${progress.message}` : 'Running: measuring the dense model…')}
        {status === 'done' && `Done${result?.stoppedEarly ? ' (stopped: the points so far are kept and fitted)' : ''}.`}
        {status === 'cancelled' && 'Stopped before two points were measured.'}
        {status === 'failed' && 'Failed (see the error above).'}
      </p>
      <LawChart points={points} result={result} />
      {points.length > 0 && (
        <table className="table compact" data-testid="law-points">
          <thead>
            <tr><th scope="col">Ratio</th><th scope="col">Compression</th><th scope="col">Recovery tokens</th><th scope="col">Loss</th><th scope="col">Perplexity</th><th scope="col">acc_norm</th><th scope="col">Parameters</th></tr>
          </thead>
          <tbody>
            {points.map((p, i) => (
              <tr key={i} data-testid="law-point">
                <td>{p.ratio}</td><td>{(100 * p.compression).toFixed(1)}%</td><td>{p.rftTokens}</td><td>{formatNumber(p.loss, 4)}</td><td>{formatNumber(p.ppl, 2)}</td>
                <td>{p.accuracy ? `${(100 * p.accuracy.accNorm).toFixed(1)}%` : '—'}</td><td>{p.parametersAfter.toLocaleString('en-US')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {result && <FitSummary result={result} />}
      {result && (
        <div className="row">
          <button type="button" className="button" data-testid="law-csv" onClick={() => downloadText(`prunelab-law-${result.methodId}.csv`, lawPointsCsv(result.points), 'text/csv')}>
            Download CSV
          </button>
          <button type="button" className="button" data-testid="law-json" onClick={() => downloadText(`prunelab-law-${result.methodId}.json`, JSON.stringify(result, null, 2), 'application/json')}>
            Download JSON
          </button>
        </div>
      )}
    </section>
  );
}
