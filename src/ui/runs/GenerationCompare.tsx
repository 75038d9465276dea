// Greedy text from the same prompt, dense and pruned, next to each other per run (runs that generated;
// older records lack the field). Must not import the store.

import type { NumberedRun } from './run-views-data';
import './runs.css';

export function GenerationCompare({ runs }: { runs: NumberedRun[] }) {
  const generated = runs.filter(({ run }) => run.generation);
  return (
    <section className="runs-view runs-view-wide" data-testid="runs-generation" aria-labelledby="runs-generation-title" data-runs={generated.length}>
      <h3 id="runs-generation-title" className="runs-view-title">Generated text, dense vs pruned</h3>
      {generated.length === 0 ? (
        <p className="muted small">No run generated text yet (tick “Generate text” in the Prune panel).</p>
      ) : (
        generated.map(({ run, number }) => (
          <article key={run.id} className="run-generation" data-testid="run-generation" aria-label={`Run #${number}, ${run.methodLabel}`}>
            <p className="small">
              <strong>#{number}</strong> {run.methodLabel} · prompt “{run.generation!.prompt}”
            </p>
            <div className="generation-pair">
              <div>
                <h4 className="small muted">Dense</h4>
                <p className="output" data-testid="run-generation-dense">{run.generation!.dense}</p>
              </div>
              <div>
                <h4 className="small muted">Pruned</h4>
                <p className="output" data-testid="run-generation-pruned">{run.generation!.pruned}</p>
              </div>
            </div>
          </article>
        ))
      )}
    </section>
  );
}
