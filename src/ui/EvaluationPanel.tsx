// Perplexity: pick a text and window settings, run with a live chart, cancel, read the final numbers.

import { useState } from 'react';
import type { TextSource } from '../lab/lab-api';
import { isBusy } from '../store/lab-state';
import { useCancelling, useLab } from '../store/use-lab';
import { formatNumber } from './format';
import { PerplexityChart } from './PerplexityChart';
import { TextFileInput } from './TextFileInput';
import { useStoredSetting } from './use-stored-setting';

type TextChoice = 'tinystories' | 'wikitext2' | 'file';

function parseOptionalInt(value: string): number | undefined {
  const parsed = Number.parseInt(value, 10);
  return Number.isFinite(parsed) ? parsed : undefined;
}

export function EvaluationPanel() {
  const evaluation = useLab((s) => s.evaluation);
  const hasModel = useLab((s) => s.model !== null);
  const busy = useLab(isBusy);
  const evaluate = useLab((s) => s.evaluate);
  const cancel = useLab((s) => s.cancel);
  const cancelling = useCancelling('evaluation');
  const showError = useLab((s) => s.showError);
  const [choice, setChoice] = useStoredSetting<TextChoice>('evaluation.text', 'tinystories', ['tinystories', 'wikitext2']);
  const [droppedText, setDroppedText] = useState<{ name: string; text: string } | null>(null);
  const [seqLen, setSeqLen] = useStoredSetting('evaluation.seqLen', '256');
  const [maxWindows, setMaxWindows] = useStoredSetting('evaluation.maxWindows', '20');

  const run = () => {
    let text: TextSource;
    if (choice === 'file') {
      if (!droppedText) return showError({ code: 'bad-text', message: 'Choose a .txt file to evaluate on.' }, 'Evaluating perplexity');
      text = { kind: 'file', name: droppedText.name, text: droppedText.text };
    } else text = { kind: 'bundled', id: choice };
    void evaluate({ text, seqLen: parseOptionalInt(seqLen), maxWindows: parseOptionalInt(maxWindows) });
  };
  const { status, progress, result, points } = evaluation;

  return (
    <section className="card" aria-labelledby="eval-title">
      <h2 id="eval-title">Perplexity</h2>
      <div className="form">
        <label>
          Text
          <select data-testid="eval-text" value={choice} onChange={(e) => setChoice(e.target.value as TextChoice)}>
            <option value="tinystories">TinyStories (validation sample)</option>
            <option value="wikitext2">WikiText-2 (raw test)</option>
            <option value="file">{droppedText ? `File: ${droppedText.name}` : 'A .txt file…'}</option>
          </select>
        </label>
        {choice === 'file' && (
          <label>
            Text file
            <TextFileInput accept=".txt,text/plain" data-testid="eval-text-file" onText={setDroppedText} onError={(e) => showError(e, 'Reading the text file')} />
          </label>
        )}
        <label>
          Window length (tokens)
          <input type="number" min={2} step={1} data-testid="eval-seq-len" value={seqLen} onChange={(e) => setSeqLen(e.target.value)} />
        </label>
        <label>
          Max windows (empty = all)
          <input type="number" min={1} step={1} data-testid="eval-max-windows" value={maxWindows} onChange={(e) => setMaxWindows(e.target.value)} />
        </label>
        <div className="row">
          <button type="button" data-testid="eval-run" onClick={run} disabled={busy || !hasModel}>
            Run
          </button>
          <button type="button" data-testid="eval-cancel" onClick={() => cancel('evaluation')} disabled={status !== 'running' || cancelling}>
            {cancelling ? 'Cancelling…' : 'Cancel'}
          </button>
        </div>
      </div>
      <p className="status" data-testid="eval-status" data-status={status} aria-live="polite">
        {status === 'running' &&
          (progress?.phase === 'tokenizing'
            ? `Tokenizing the text: ${formatNumber((progress.charsDone ?? 0) / 1e6, 3)} of ${formatNumber((progress.charsTotal ?? 0) / 1e6, 3)} M characters…`
            : progress
              ? `Running: window ${progress.windowsDone} / ${progress.windows}, perplexity so far ${formatNumber(progress.runningPpl, 4)}`
              : 'Running: preparing windows…')}
        {status === 'done' && 'Done.'}
        {status === 'cancelled' && `Cancelled after ${progress?.windowsDone ?? 0} windows.`}
        {status === 'failed' && 'Failed (see the error above).'}
      </p>
      <PerplexityChart points={points} />
      {result && (
        <table className="table results" data-testid="eval-result">
          <tbody>
            <tr>
              <th scope="row">Perplexity</th>
              <td data-testid="eval-ppl" data-value={String(result.ppl)}>
                {formatNumber(result.ppl, 4)}
              </td>
            </tr>
            <tr>
              <th scope="row">Mean NLL (nats/token)</th>
              <td data-testid="eval-nll" data-value={String(result.nll)}>
                {formatNumber(result.nll, 5)}
              </td>
            </tr>
            <tr>
              <th scope="row">Windows</th>
              <td data-testid="eval-windows">
                {result.windows} of {result.windowsAvailable} × {result.seqLen} tokens
              </td>
            </tr>
            <tr>
              <th scope="row">Tokens scored</th>
              <td data-testid="eval-tokens">{result.tokensScored.toLocaleString('en-US')}</td>
            </tr>
            <tr>
              <th scope="row">Speed</th>
              <td data-testid="eval-speed">
                {formatNumber(result.tokensScoredPerS, 0)} tokens scored/s ({(result.elapsedMs / 1000).toFixed(1)} s, {result.backend})
              </td>
            </tr>
            <tr>
              <th scope="row">Text</th>
              <td>
                {result.textName} ({result.textTokens.toLocaleString('en-US')} tokens)
              </td>
            </tr>
          </tbody>
        </table>
      )}
    </section>
  );
}
