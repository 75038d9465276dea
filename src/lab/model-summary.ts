// ModelSummary (plain data for the model card) from a LoadedModel.

import type { LoadedModel } from '../model/loaded-model';
import { parameterCount, type ModelSpec } from '../model/model-spec';
import type { ImportCheck, LayerSummary, ModelSummary } from './lab-api';

export function summarizeModel(loaded: LoadedModel, importCheck: ImportCheck | null, loadMs: number, weightsHash: string, memory: ModelSummary['memory']): ModelSummary {
  const { spec, source } = loaded;
  const first = spec.layers[0];
  const parameters = parameterCount(spec);
  return {
    name: modelName(loaded),
    family: spec.family,
    modelType: spec.config.modelType,
    layout: source.layout,
    weightsDtype: source.weightsDtype,
    parameters,
    fileBytes: source.weightBytes,
    fp32Bytes: parameters * 4,
    vocabSize: spec.config.vocabSize,
    hiddenSize: spec.config.hiddenSize,
    maxPositionEmbeddings: spec.config.maxPositionEmbeddings,
    numLayers: spec.layers.length,
    numHeads: first?.numHeads ?? 0,
    numKvHeads: first?.numKvHeads ?? 0,
    headDim: first?.headDim ?? 0,
    intermediateSize: first?.intermediateSize ?? 0,
    tieWordEmbeddings: spec.config.tieWordEmbeddings,
    layers: layerSummaries(spec),
    importCheck,
    files: source.files,
    loadMs: Math.round(loadMs),
    weightsHash,
    memory,
  };
}

function layerSummaries(spec: ModelSpec): LayerSummary[] {
  const d = spec.config.hiddenSize;
  return spec.layers.map((layer, index) => {
    const attention = d * layer.numHeads * layer.headDim * 2 + d * layer.numKvHeads * layer.headDim * 2;
    const ffnMatrices = spec.family === 'llama' ? 3 : 2;
    return { index, ...layer, parameters: attention + ffnMatrices * d * layer.intermediateSize };
  });
}

function modelName(loaded: LoadedModel): string {
  const raw = loaded.spec.config.raw;
  const fromConfig = typeof raw._name_or_path === 'string' ? raw._name_or_path : '';
  if (fromConfig) return fromConfig.split('/').pop() ?? fromConfig;
  const arch = Array.isArray(raw.architectures) ? String(raw.architectures[0]) : loaded.spec.config.modelType;
  return `${arch} (${(parameterCount(loaded.spec) / 1e6).toFixed(2)}M)`;
}
