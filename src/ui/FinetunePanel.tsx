// Recovery fine-tuning of the pruned model (or the loaded one): LoRA (masked on sparse weights) or full
// fine-tuning, a live loss curve, held-out perplexity before → after, cancel, and the fine-tuned model's download.

import { isBusy } from '../store/lab-state';
import { useCancelling, useLab } from '../store/use-lab';
import { LossChart } from './LossChart';
import { saveFiles } from './save-files';
import { useStoredSetting } from './use-stored-setting';

export function FinetunePanel() {
  const tuning = useLab((s) => s.tuning);
  const hasModel = useLab((s) => s.model !== null);
  const hasPruned = useLab((s) => s.pruning.job.status === 'done');
  const busy = useLab(isBusy);
  const finetune = useLab((s) => s.finetune);
  const exportFinetuned = useLab((s) => s.exportFinetuned);
  const cancel = useLab((s) => s.cancel);
  const cancelling = useCancelling('tuning');
  const [steps, setSteps] = useStoredSetting('finetune.steps', '40');
  const [batch, setBatch] = useStoredSetting('finetune.batch', '8');
  const [seqLen, setSeqLen] = useStoredSetting('finetune.seqLen', '128');
  const [lr, setLr] = useStoredSetting('finetune.lr', '');
  const [mode, setMode] = useStoredSetting<'lora' | 'full'>('finetune.mode', 'lora', ['lora', 'full']);
  const [trainEmbeddings, setTrainEmbeddings] = useStoredSetting('finetune.trainEmbeddings', false);
  const [rank, setRank] = useStoredSetting('finetune.rank', '8');
  const { status, progress, result, trace } = tuning;
  const last = trace[trace.length - 1];

  const run = () =>
    void finetune({
      which: hasPruned ? 'pruned' : 'loaded',
      text: { kind: 'bundled', id: 'tinystories' },
      steps: Number(steps),
      batch: Number(batch),
      seqLen: Number(seqLen),
      lr: lr ? Number(lr) : undefined,
      lora: mode === 'lora' ? { rank: Number(rank), alpha: 2 * Number(rank) } : null,
      trainEmbeddings,
    });

  return (
    <section className="card" aria-labelledby="ft-title">
      <h2 id="ft-title">Recover (fine-tune)</h2>
      <p className="muted">
        Trains the {hasPruned ? 'pruned' : 'loaded'} model on the first three quarters of the TinyStories sample and measures perplexity on the last quarter, before and after.
        LoRA adapters on a sparse model are masked, so pruned weights stay exactly zero.
      </p>
      <div className="form">
        <label>
          Mode{' '}
          <select data-testid="ft-mode" value={mode} onChange={(e) => setMode(e.target.value as 'lora' | 'full')}>
            <option value="lora">LoRA (merged at the end)</option>
            <option value="full">Full fine-tuning (block weights)</option>
          </select>
        </label>
        {mode === 'lora' && (
          <label>
            Rank <input type="number" min={1} data-testid="ft-rank" value={rank} onChange={(e) => setRank(e.target.value)} />
          </label>
        )}
        <label>
          Steps <input type="number" min={1} data-testid="ft-steps" value={steps} onChange={(e) => setSteps(e.target.value)} />
        </label>
        <label>
          Batch <input type="number" min={1} data-testid="ft-batch" value={batch} onChange={(e) => setBatch(e.target.value)} />
        </label>
        <label>
          Window length <input type="number" min={2} data-testid="ft-seq-len" value={seqLen} onChange={(e) => setSeqLen(e.target.value)} />
        </label>
        <label title="Frozen by default, as PEFT does; their gradient is a scatter-add, slower on WebGPU">
          <input type="checkbox" data-testid="ft-train-embeddings" checked={trainEmbeddings} onChange={(e) => setTrainEmbeddings(e.target.checked)} /> Train the embeddings too
        </label>
        <label>
          Learning rate <input type="text" inputMode="decimal" placeholder="default" data-testid="ft-lr" value={lr} onChange={(e) => setLr(e.target.value)} />
        </label>
        <div className="row">
          <button type="button" data-testid="ft-run" disabled={busy || !hasModel} onClick={run}>
            Fine-tune
          </button>
          <button type="button" data-testid="ft-cancel" onClick={() => cancel('tuning')} disabled={status !== 'running' || cancelling}>
            {cancelling ? 'Cancelling…' : 'Stop'}
          </button>
        </div>
      </div>
      <p className="status" data-testid="ft-status" data-status={status} data-steps={trace.length} data-losses={trace.map((t) => t.loss).join(",")} aria-live="polite">
        {status === 'running' && `${progress?.message ?? 'Starting…'}${last ? ` · ${last.tokensPerS.toFixed(0)} tokens/s` : ''}`}
        {status === 'done' &&
          result &&
          `${result.steps}/${result.stepsRequested} steps${result.stoppedEarly ? ' (stopped: the last finished step is kept)' : ''}, ${result.trainedParameters.toLocaleString()} values trained, ${result.tokensPerS.toFixed(0)} tokens/s on ${result.backend}. ` +
            (result.pplBefore && result.pplAfter ? `Held-out perplexity ${result.pplBefore.ppl.toFixed(3)} → ${result.pplAfter.ppl.toFixed(3)}.` : '')}
        {status === 'cancelled' && 'Stopped before the first step.'}
        {status === 'failed' && 'Failed (see the error above).'}
      </p>
      {trace.length > 0 && <LossChart steps={trace} />}
      {status === 'done' && (
        <p>
          <button type="button" data-testid="ft-download" disabled={busy} onClick={() => void exportFinetuned(saveFiles)}>
            Download fine-tuned model
          </button>{' '}
          <span className="status" data-testid="ft-export-status" data-status={tuning.exported}>
            {tuning.exported === 'done' && 'Saved.'}
            {tuning.exported === 'failed' && 'Export failed (see the error above).'}
          </span>
        </p>
      )}
    </section>
  );
}
