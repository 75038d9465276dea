// The loaded model at a glance: architecture, shapes, sizes, the per-layer table and the import check.

import type { ImportCheck as ImportCheckData, ModelSummary } from '../lab/lab-api';
import { useLab } from '../store/use-lab';
import { formatBytes, formatCount } from './format';
import { LayerTable } from './LayerTable';
import { isBusy } from '../store/lab-state';
import { ExportControls } from './ExportControls';

/** The first-block check of the GPU adapter (WebGPU only): passed, failed (the lab moved to WASM), or skipped. */
function FirstBlock({ check }: { check: ModelSummary['firstBlockCheck'] }) {
  if (!check) return null;
  if (check.skipped) return <p className="muted small" data-testid="first-block-check" data-status="skipped">GPU check on the first block skipped: {check.skipped}.</p>;
  return (
    <p className={check.passed ? 'pass small' : 'fail small'} data-testid="first-block-check" data-status={check.passed ? 'pass' : 'fail'}>
      GPU check: the first block&apos;s logits on this adapter ({check.precision}) against WASM differ by at most {check.maxAbsDiff?.toExponential(1)} (allowed{' '}
      {check.tolerance?.toExponential(0)}): {check.passed ? 'pass' : 'FAIL, so the lab runs this model on WASM'}
    </p>
  );
}

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
      <strong>{check.passed ? 'pass' : 'FAIL: loaded anyway, so every result on this model is flagged as suspect'}</strong>
    </p>
  );
}

/** Weights as the runtime holds them, and the limit each job is checked against before it runs. */
function memoryLine(memory: ModelSummary['memory']): string {
  const limit = memory.limitBytes === null ? 'no known total limit' : `limit ${formatBytes(memory.limitBytes)}`;
  const held = memory.sharedOnDevice ? 'in GPU buffers shared by every session' : 'per session';
  return `${formatBytes(memory.weightsBytes)} ${memory.precision} weights ${held}; ${limit} (${memory.limitSource})`;
}

/** The source layout in words (the code stays in the title). */
const layoutNames: Record<ModelSummary['layout'], string> = {
  'onnx-optimum': 'ONNX folder (transformers.js / Optimum)',
  'onnx-genai': 'ONNX file (onnxruntime-genai style)',
  safetensors: 'safetensors checkpoint',
};

function facts(model: ModelSummary): [string, string, string][] {
  return [
    ['Architecture', `${model.family} (model_type ${model.modelType})`, 'architecture'],
    ['Source', `${layoutNames[model.layout] ?? model.layout}, ${model.weightsDtype} weights`, 'source'],
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

const loadedTestIds = { format: 'loaded-export-format', folder: 'loaded-export-folder', zip: 'loaded-export-zip', status: 'loaded-export-status' };

function LoadedExport() {
  const state = useLab((s) => s.loadedExport);
  const busy = useLab(isBusy);
  const exportLoaded = useLab((s) => s.exportLoaded);
  return <ExportControls id="loaded" testIds={loadedTestIds} what="the loaded model" state={state} disabled={busy} onExport={(save, format) => void exportLoaded(save, format)} />;
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
      <FirstBlock check={model.firstBlockCheck} />
      <details>
        <summary>Per-layer shapes ({model.layers.length} layers)</summary>
        <LayerTable layers={model.layers} />
      </details>
      <details data-testid="loaded-export">
        <summary>Export or convert this model (no pruning)</summary>
        <p className="muted small">The model as loaded, written as a Hugging Face safetensors folder or a transformers.js ONNX folder (fp32, fp16 and 4-bit).</p>
        <LoadedExport />
      </details>
      <p className="muted small">Files: {model.files.join(', ')}</p>
    </section>
  );
}
