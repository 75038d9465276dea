// The first screen's explanation: the demo model, the methods (built from the lab's own MethodInfo list,
// so a new method appears here without UI code), what the numbers mean, and where the data stays.
// Reads the store only; imports no engine code. Paper links are plain links: the page never fetches them.

import { useState } from 'react';
import type { MethodInfo } from '../lab/lab-api';
import { readLocal, writeLocal } from '../store/local-storage';
import { useLab } from '../store/use-lab';
import { kindTitles } from './MethodPicker';

function MethodList({ methods }: { methods: MethodInfo[] }) {
  const kinds = (Object.keys(kindTitles) as MethodInfo['kind'][]).filter((kind) => methods.some((m) => m.kind === kind));
  if (methods.length === 0) return <p className="muted small">The lab is still listing its methods…</p>;
  return (
    <>
      {kinds.map((kind) => (
        <div key={kind} className="intro-kind">
          <h3>{kindTitles[kind]}</h3>
          <ul className="intro-methods">
            {methods
              .filter((m) => m.kind === kind)
              .map((m) => (
                <li key={m.id} data-testid={`intro-method-${m.id}`}>
                  <strong>{m.label}</strong>: {m.summary}{' '}
                  <a href={m.paper.url} target="_blank" rel="noreferrer">
                    {m.paper.title}
                    <span className="visually-hidden"> (paper, opens in a new tab)</span>
                  </a>
                </li>
              ))}
          </ul>
        </div>
      ))}
    </>
  );
}

const VISITED_KEY = 'prunelab.visited';

/** True on this browser's first visit (then remembered; storage unavailable counts as a first visit). */
function firstVisit(): boolean {
  const seen = readLocal(VISITED_KEY) !== null;
  writeLocal(VISITED_KEY, new Date().toISOString());
  return !seen;
}

/** Open on the first visit, collapsed to its title after (one click opens it again). */
export function Intro() {
  const methods = useLab((s) => s.pruning.methods);
  const [open] = useState(firstVisit);
  return (
    <details className="card intro" open={open} data-testid="intro">
      <summary className="intro-summary">
        <h2 id="intro-title">Prune a small language model in this tab, and compare methods</h2>
      </summary>
      <p>
        The lab starts with <strong>stories260K</strong>: a 260K-parameter Llama that Andrej Karpathy trained on
        TinyStories, bundled with the page so everything works offline (
        <a href="/models/stories260K/PROVENANCE.md" target="_blank" rel="noreferrer">where it comes from</a>). Drop your own model folder on the drop zone, pick a
        method, and run: each run measures perplexity and speed of the dense and pruned model side by side, and is
        kept in the Runs table.
      </p>
      <p className="intro-privacy" data-testid="intro-privacy">
        <strong>Your data stays here.</strong> Models and texts are read inside this tab and nothing is uploaded;
        runs are saved in this browser&rsquo;s IndexedDB and <em>Clear runs</em> in the Runs panel deletes them.
      </p>
      <details className="intro-details" data-testid="intro-methods">
        <summary>The pruning methods ({methods.length})</summary>
        <MethodList methods={methods} />
      </details>
      <details className="intro-details" data-testid="intro-glossary">
        <summary>What the numbers mean</summary>
        <dl className="glossary">
          <dt>Perplexity</dt>
          <dd>How surprised the model is by held-out text (not the calibration text): lower is better. Dense and pruned are scored on the same windows.</dd>
          <dt>Prefill ms</dt>
          <dd>Time to read the prompt in one pass, in milliseconds: lower is better.</dd>
          <dt>Decode tokens/s</dt>
          <dd>Tokens generated per second, one at a time after the prompt: higher is better.</dd>
          <dt>Ratio</dt>
          <dd>How much was asked for: the fraction of weights to set to zero (sparsity 0..1), or the blocks removed out of all blocks.</dd>
          <dt>Realised sparsity</dt>
          <dd>
            How much was actually pruned, measured on the pruned model: zero weights over all block linear layers (for block
            methods, the share of those weights removed). It can differ from the ratio asked for: Wanda at 0.7 may land on 69.0%.
          </dd>
          <dt>Speed-up</dt>
          <dd>
            Only removing blocks makes the model faster here. Unstructured and N:M sparsity zero weights but the
            kernels stay dense, so the speed does not change.
          </dd>
        </dl>
      </details>
    </details>
  );
}
