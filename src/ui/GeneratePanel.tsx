// Greedy generation from a prompt, with the text streaming in as tokens arrive.

import { isBusy } from '../store/lab-state';
import { useCancelling, useLab } from '../store/use-lab';
import { useStoredSetting } from './use-stored-setting';

export function GeneratePanel() {
  const generation = useLab((s) => s.generation);
  const hasModel = useLab((s) => s.model !== null);
  const busy = useLab(isBusy);
  const generate = useLab((s) => s.generate);
  const cancel = useLab((s) => s.cancel);
  const cancelling = useCancelling('generation');
  const [prompt, setPrompt] = useStoredSetting('generate.prompt', 'Once upon a time');
  const [maxNewTokens, setMaxNewTokens] = useStoredSetting('generate.maxNewTokens', '40');
  const { status, progress, result } = generation;
  const text = result?.text ?? progress?.text ?? '';

  return (
    <section className="card" aria-labelledby="gen-title">
      <h2 id="gen-title">Generate (greedy)</h2>
      <div className="form">
        <label className="wide">
          Prompt
          <textarea data-testid="gen-prompt" rows={2} value={prompt} onChange={(e) => setPrompt(e.target.value)} />
        </label>
        <label>
          New tokens
          <input type="number" min={1} step={1} data-testid="gen-max-tokens" value={maxNewTokens} onChange={(e) => setMaxNewTokens(e.target.value)} />
        </label>
        <div className="row">
          <button
            type="button"
            data-testid="gen-run"
            disabled={busy || !hasModel}
            onClick={() => void generate({ prompt, maxNewTokens: Number(maxNewTokens) })}
          >
            Generate
          </button>
          <button type="button" data-testid="gen-cancel" onClick={() => cancel('generation')} disabled={status !== 'running' || cancelling}>
            {cancelling ? 'Cancelling…' : 'Cancel'}
          </button>
        </div>
      </div>
      <p className="status" data-testid="gen-status" data-status={status} aria-live="polite">
        {status === 'running' && `Generating: ${progress?.tokens ?? 0} tokens…`}
        {status === 'done' && result && `${result.newTokens} new tokens in ${Math.round(result.elapsedMs)} ms (stopped by ${result.stoppedBy}).`}
        {status === 'cancelled' && 'Cancelled.'}
        {status === 'failed' && 'Failed (see the error above).'}
      </p>
      {text && (
        <pre className="output" data-testid="gen-output">
          {text}
        </pre>
      )}
    </section>
  );
}
