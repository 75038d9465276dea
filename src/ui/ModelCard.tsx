// The loaded model at a glance: architecture, shapes, sizes, the per-layer table and the import check.

import type { ImportCheck as ImportCheckData, ModelSummary } from '../lab/lab-api';
import { useLab } from '../store/use-lab';
import { formatBytes, formatCount } from './format';
import { LayerTable } from './LayerTable';

function ImportCheck({ check }: { check: ImportCheckData | null }) {
  if (!check) {
    return (
      <p className="muted" data-testid="import-check" data-status="none">
        Import check: no ONNX file was dropped, so there is nothing to compare with.
      </p>
    );
  }
  return (
    <p
      className={check.passed ? 'pass' : 'fail'}
      data-testid="import-check"
      data-status={check.passed ? 'pass' : 'fail'}
      data-max-abs-diff={String(check.maxAbsDiff)}
      data-tolerance={String(check.tolerance)}
    >
      Import check: max |Δlogit| = {check.maxAbsDiff.toExponential(2)} over {check.probeTokens} tokens against{' '}
      <code>{check.referenceFile}</code> (tolerance {check.tolerance.toExponential(0)}):{' '}
      <strong>{check.passed ? 'pass' : 'FAIL'}</strong>
    </p>
  );
}

/** Weights as the runtime holds them, and the limit each job is checked against before it runs. */
function memoryLine(memory: ModelSummary['memory']): string {
  const limit = memory.limitBytes === null ? 'no known total limit' : `limit ${formatBytes(memory.limitBytes)}`;
  const held = memory.sharedOnDevice ? 'in GPU buffers shared by every session' : 'per session';
  return `${formatBytes(memory.weightsBytes)} ${memory.precision} weights ${held}; ${limit} (${memory.limitSource})`;
}

function facts(model: ModelSummary): [string, string, string][] {
  return [
    ['Architecture', `${model.family} (model_type ${model.modelType})`, 'architecture'],
    ['Source', `${model.layout}, ${model.weightsDtype}`, 'source'],
    ['Parameters', `${formatCount(model.parameters)} (${model.parameters.toLocaleString('en-US')})`, 'parameters'],
    ['Layers', String(model.numLayers), 'layers'],
    ['Heads / KV heads', `${model.numHeads} / ${model.numKvHeads}`, 'heads'],
    ['Head dim', String(model.headDim), 'head-dim'],
    ['Hidden size', String(model.hiddenSize), 'hidden'],
    ['FFN size', String(model.intermediateSize), 'ffn'],
    ['Vocabulary', String(model.vocabSize), 'vocab'],
    ['Context', `${model.maxPositionEmbeddings} tokens`, 'context'],
    ['Tied embeddings', model.tieWordEmbeddings ? 'yes' : 'no', 'tied'],
    ['File size', `${formatBytes(model.fileBytes)} (fp32 in the lab: ${formatBytes(model.fp32Bytes)})`, 'file-size'],
    ['Memory', memoryLine(model.memory), 'memory'],
    ['Load time', `${Math.round(model.loadMs)} ms`, 'load-ms'],
  ];
}

export function ModelCard() {
  const model = useLab((s) => s.model);
  if (!model) {
    return (
      <section className="card" aria-labelledby="model-title">
        <h2 id="model-title">Model</h2>
        <p className="muted">No model loaded yet.</p>
      </section>
    );
  }
  return (
    <section className="card" data-testid="model-card" aria-labelledby="model-title">
      <h2 id="model-title">
        Model: <span data-testid="model-name">{model.name}</span>
      </h2>
      <dl className="facts">
        {facts(model).map(([label, value, id]) => (
          <div key={id}>
            <dt>{label}</dt>
            <dd data-testid={`model-${id}`}>{value}</dd>
          </div>
        ))}
      </dl>
      <ImportCheck check={model.importCheck} />
      <details>
        <summary>Per-layer shapes ({model.layers.length} layers)</summary>
        <LayerTable layers={model.layers} />
      </details>
      <p className="muted small">Files: {model.files.join(', ')}</p>
    </section>
  );
}
