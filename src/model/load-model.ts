// Dropped files → LoadedModel: sniff, read config/tokenizer JSON, pick an importer, check shapes and
// the tokenizer's vocabulary. Pure (no runtime, no store, no React, no tokenizer package).

import { LabError } from '../errors';
import { readOnnxModel } from '../formats/onnx-reader';
import { externalDataFiles, type OnnxWeightsSource } from '../formats/onnx-tensor';
import { readSafetensorsHeader, type SafetensorsFile } from '../formats/safetensors';
import { tokenizerJsonMaxId } from '../tokenizer/tokenizer-json';
import { basename, classifyFiles, describeUnusable, pickOnnx, shallowest } from './importers/classify-files';
import { checkAllWeights, expectedShapes } from './importers/expected-shapes';
import { parseHfConfig } from './importers/hf-config';
import { pickImporter } from './importers/registry';
import type { ImportInputs } from './importers/types';
import type { LoadedModel, ModelFileRef } from './loaded-model';
import { llamaNames, type ModelSpec } from './model-spec';

export interface LoadProgressEvent {
  stage: 'read' | 'parse';
  message: string;
  fraction: number;
}

export async function loadModelFromFiles(
  files: ModelFileRef[],
  onProgress: (p: LoadProgressEvent) => void = () => {},
): Promise<LoadedModel> {
  const listing = files.map((f) => f.path).sort();
  const listText = listing.length ? listing.join(', ') : 'no files';
  onProgress({ stage: 'read', message: 'Sniffing files', fraction: 0 });
  const classified = await classifyFiles(files);
  const configEntry = shallowest(classified.json.get('config.json'));
  const hasWeights = classified.safetensors.length > 0 || classified.onnx.length > 0;
  if (!hasWeights && classified.unusable.length > 0) throw describeUnusable(classified.unusable[0]);
  if (!configEntry) {
    throw new LabError('missing-file', `no config.json among the dropped files (${listText})`, { files: listing });
  }
  if (!hasWeights) {
    throw new LabError('missing-file', `config.json found but no model weights (.safetensors or .onnx) among the dropped files (${listText})`, { files: listing });
  }
  const tokenizerEntry = shallowest(classified.json.get('tokenizer.json'));
  if (!tokenizerEntry) {
    throw new LabError('missing-file', `no tokenizer.json among the dropped files (${listText}); it is needed to turn text into tokens`, { files: listing });
  }
  const generationConfig = shallowest(classified.json.get('generation_config.json'))?.value ?? null;
  const parsed = parseHfConfig(configEntry.value, generationConfig, configEntry.file.path);

  // Check the tokenizer against the embedding before reading weights: fail fast on a wrong pairing.
  const maxId = tokenizerJsonMaxId(tokenizerEntry.value);
  if (maxId >= parsed.config.vocabSize) {
    throw new LabError(
      'tokenizer-mismatch',
      `${tokenizerEntry.file.path}: its vocabulary has ${maxId + 1} ids but the model's embedding has ${parsed.config.vocabSize} rows`,
      { path: tokenizerEntry.file.path, tokenizerIds: maxId + 1, embeddingRows: parsed.config.vocabSize },
    );
  }

  onProgress({ stage: 'read', message: 'Reading weight headers', fraction: 0.5 });
  const safetensors = await readShards(classified.safetensors, classified.json.get('index.json') ?? []);
  const onnxFile = pickOnnx(classified.onnx);
  let onnx: OnnxWeightsSource | null = null;
  if (onnxFile) onnx = { model: await readOnnxModel(onnxFile), file: onnxFile, allFiles: files };
  const externalData = onnx ? externalDataFiles(onnx) : [];
  onProgress({ stage: 'read', message: 'Headers read', fraction: 1 });

  const inputs: ImportInputs = {
    parsed,
    safetensors,
    onnx,
    onProgress: (fraction, message) => onProgress({ stage: 'parse', message, fraction }),
  };
  const weightsLabel = safetensors[0]?.path ?? onnxFile!.path;
  const importer = pickImporter(inputs, weightsLabel);
  const result = await importer.import(inputs);
  const config = { ...parsed.config, tieWordEmbeddings: result.tieWordEmbeddings };
  const fromSafetensors = importer.layout === 'safetensors';
  const weightsFile = fromSafetensors ? safetensors[0].path : onnxFile!.path;
  checkAllWeights(weightsFile, result.weights, expectedShapes(parsed, result.tieWordEmbeddings));
  const storedNames = fromSafetensors ? safetensors.flatMap((f) => [...f.entries.keys()]) : [...onnx!.model.initializers.keys()];
  checkNoBlocksBeyondConfig(weightsFile, storedNames, parsed.layers.length, configEntry.file.path);
  const spec: ModelSpec = { family: parsed.family, config, layers: parsed.layers, weights: result.weights };
  if (spec.family === 'llama' && !spec.weights.has(llamaNames.embed)) {
    throw new LabError('internal', 'importer returned no embedding');
  }
  const weightBytes = fromSafetensors
    ? safetensors.reduce((a, s) => a + s.source.size, 0)
    : onnxFile!.blob.size + externalData.reduce((a, f) => a + f.blob.size, 0);
  return {
    spec,
    tokenizerJson: tokenizerEntry.value,
    tokenizerConfig: shallowest(classified.json.get('tokenizer_config.json'))?.value ?? {},
    generationConfig,
    source: { layout: importer.layout, weightsFile, weightsDtype: result.weightsDtype, weightBytes, files: listing },
    referenceOnnx: onnxFile ? { file: onnxFile, externalData } : null,
  };
}

/** All safetensors headers; with an index.json, every shard its weight_map names must be present. */
async function readShards(
  files: ModelFileRef[],
  indexes: { file: ModelFileRef; value: Record<string, unknown> }[],
): Promise<SafetensorsFile[]> {
  for (const index of indexes) {
    const weightMap = index.value.weight_map;
    if (!weightMap || typeof weightMap !== 'object') {
      throw new LabError('corrupt', `${index.file.path}: has no weight_map`, { path: index.file.path });
    }
    const shardNames = new Set(Object.values(weightMap as Record<string, string>));
    for (const shard of shardNames) {
      if (!files.some((f) => basename(f.path) === basename(shard))) {
        throw new LabError('missing-file', `${index.file.path}: names shard '${shard}', which was not among the dropped files`, { path: index.file.path, shard });
      }
    }
  }
  const sorted = [...files].sort((a, b) => a.path.localeCompare(b.path));
  const out: SafetensorsFile[] = [];
  for (const f of sorted) out.push(await readSafetensorsHeader(f));
  return out;
}

/** Block index in a stored weight's name: model.layers.7.…, transformer.h.7.…, /model/layers.7/… */
const BLOCK_INDEX = /(?:^|[./_])(?:layers|h|blocks)[._/](\d+)(?:[./_]|$)/;

/** Weights for more blocks than config.json declares mean the two come from different models: refused, never ignored. */
function checkNoBlocksBeyondConfig(weightsFile: string, names: string[], numLayers: number, configPath: string): void {
  let highest = -1;
  let example = '';
  for (const name of names) {
    const match = BLOCK_INDEX.exec(name);
    if (match && Number(match[1]) > highest) [highest, example] = [Number(match[1]), name];
  }
  if (highest >= numLayers) {
    throw new LabError(
      'corrupt',
      `${weightsFile}: has weights for ${highest + 1} blocks (e.g. '${example}') but ${configPath} declares num_hidden_layers ${numLayers}; the config and the weights are from different models`,
      { path: weightsFile, blocksInWeights: highest + 1, numLayers, tensor: example },
    );
  }
}
