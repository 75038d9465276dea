// CalibrationRunner on onnxruntime-web: block graphs with weights fed as inputs (one session per
// block shape), a gated-NLL session per spec for SLEB (on WebGPU its weights in device buffers),
// block influence for ShortGPT. Imports
// onnxruntime only via ./ort; graphs come from graph/.

import { LabError } from '../errors';
import { blockSessionKey, blockShape, blockStatGroups, blockWeightInputs, buildBlockGraph, type BlockGraphOptions } from '../graph/block-graph';
import { buildModelProto } from '../graph/build-graph';
import type { OnnxModel } from '../graph/onnx-writer';
import { calibrationWindowsPerRun, memoryShapeOf } from './memory-plan';
import { gpt2Names, llamaNames, type ModelSpec } from '../model/model-spec';
import type { BlockRun, CalibrationRunner, HiddenStates, LinearInputStats, StatsKind } from '../pruning/calibration';
import type { DeviceWeights } from './device-weights';
import { createDeviceWeights, createSession, createSessionFromModel, float32Tensor, ort, readFloat32, type Backend, type LabSession } from './ort';

export interface CalibrationRunnerOptions {
  backend: Backend;
  /** Tokens per session run (windows × window length), bounding activation memory; default 4096. */
  maxBatchTokens?: number;
}

export function createCalibrationRunner(options: CalibrationRunnerOptions): CalibrationRunner {
  return new OrtCalibrationRunner(options);
}


type Session = LabSession;
type Feeds = Record<string, ort.Tensor>;
type Outputs = ort.InferenceSession.OnnxValueMapType;

class OrtCalibrationRunner implements CalibrationRunner {
  sessionsCreated = 0;
  forwardPasses = 0;
  forwardMs = 0;
  private readonly blockSessions = new Map<string, Promise<Session>>();
  /** Keyed by the spec object: a pruned spec is a new object, hence a new session. */
  private readonly nllSessions = new WeakMap<ModelSpec, Promise<Session>>();
  private readonly allSessions: Promise<Session>[] = [];
  /** Device weight pools of full-model sessions (WebGPU), destroyed after their sessions. */
  private readonly pools: DeviceWeights[] = [];

  constructor(private readonly options: CalibrationRunnerOptions) {}

  /**
   * Windows per session run: at most maxBatchTokens tokens and CALIBRATION_MAX_SCORES attention
   * scores, and for full-model runs (withLogits) at most CALIBRATION_MAX_LOGITS logits (memory-plan.ts,
   * which estimates the same batches).
   */
  private windowsPerRun(spec: ModelSpec, tokens: number, withLogits = false): number {
    return calibrationWindowsPerRun(memoryShapeOf(spec), tokens, withLogits, this.options.maxBatchTokens);
  }

  /** `onDevice`: on WebGPU the graph's weights go to device buffers of their own pool (full-model graphs). */
  private track(graph: () => Uint8Array | OnnxModel, onDevice = false): Promise<Session> {
    const built = graph();
    const options = { backend: this.options.backend };
    let session: Promise<Session>;
    if (built instanceof Uint8Array) session = createSession(built, options);
    else {
      const deviceWeights = onDevice && options.backend === 'webgpu' ? createDeviceWeights() : undefined;
      if (deviceWeights) this.pools.push(deviceWeights);
      session = createSessionFromModel(built, { ...options, deviceWeights });
    }
    this.sessionsCreated++;
    this.allSessions.push(session);
    return session;
  }

  private blockSession(spec: ModelSpec, block: number, graph: BlockGraphOptions): Promise<Session> {
    const shape = blockShape(spec, block);
    const key = blockSessionKey(shape, graph);
    let session = this.blockSessions.get(key);
    if (!session) {
      session = this.track(() => buildBlockGraph(shape, graph));
      this.blockSessions.set(key, session);
    }
    return session;
  }

  /** Runs the session, counting wall time including building feeds and reading outputs. */
  private async timed<T>(session: Session, feeds: () => Feeds, read: (out: Outputs) => Promise<T>): Promise<T> {
    const start = performance.now();
    let out: Outputs | null = null;
    try {
      out = await session.run(feeds());
      return await read(out);
    } catch (error) {
      if (error instanceof LabError) throw error;
      throw new LabError('runtime', `onnxruntime run failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      if (out) for (const t of Object.values(out)) (t as ort.Tensor).dispose();
      this.forwardMs += performance.now() - start;
    }
  }

  async embed(spec: ModelSpec, windows: Int32Array[]): Promise<HiddenStates> {
    const T = checkWindows(spec, windows, 1);
    const d = spec.config.hiddenSize;
    const table = spec.weights.get(spec.family === 'llama' ? llamaNames.embed : gpt2Names.embed);
    const positions = spec.family === 'gpt2' ? spec.weights.get(gpt2Names.positions) : undefined;
    if (!table || (spec.family === 'gpt2' && !positions)) throw new LabError('internal', 'ModelSpec has no embedding table');
    // A Gather is an exact copy, so it runs here rather than in a session (no forward pass counted).
    const data = new Float32Array(windows.length * T * d);
    const [tableData, positionData] = [table.data, positions?.data]; // read once: stored weights decode on access
    windows.forEach((w, r) => {
      for (let t = 0; t < T; t++) {
        const row = data.subarray((r * T + t) * d, (r * T + t + 1) * d);
        row.set(tableData.subarray(w[t] * d, (w[t] + 1) * d));
        if (positionData) for (let j = 0; j < d; j++) row[j] += positionData[t * d + j];
      }
    });
    return { data, windows: windows.length, tokens: T, channels: d };
  }

  private weightFeeds(spec: ModelSpec, block: number): Feeds {
    const feeds: Feeds = {};
    for (const input of blockWeightInputs(spec, block)) {
      const w = spec.weights.get(input.weight);
      if (!w && !input.optional) throw new LabError('internal', `ModelSpec has no weight named ${input.weight}`);
      const size = input.dims.reduce((a, b) => a * b, 1);
      const data = w ? w.data : new Float32Array(size); // read once: stored weights decode on access
      if (data.length !== size) throw new LabError('internal', `${input.weight}: ${data.length} values, expected [${input.dims.join(', ')}]`);
      feeds[input.input] = float32Tensor(data, input.dims);
    }
    return feeds;
  }

  /** Runs block `block` over `hidden` in batches; `onBatch` sees each run's outputs. */
  private async blockPass(spec: ModelSpec, block: number, hidden: HiddenStates, graph: BlockGraphOptions, onBatch: (out: Outputs) => Promise<void>): Promise<HiddenStates> {
    checkBlock(spec, block);
    const { windows: N, tokens: T, channels: d } = hidden;
    if (d !== spec.config.hiddenSize || hidden.data.length !== N * T * d)
      throw new LabError('bad-argument', `hidden states [${N}, ${T}, ${d}] do not fit a model of hidden size ${spec.config.hiddenSize}`);
    if (T > spec.config.maxPositionEmbeddings) throw new LabError('bad-argument', `${T} tokens exceed the model's context of ${spec.config.maxPositionEmbeddings}`);
    const session = await this.blockSession(spec, block, graph);
    const weights = this.weightFeeds(spec, block);
    const out = new Float32Array(hidden.data.length);
    const per = this.windowsPerRun(spec, T);
    for (let start = 0; start < N; start += per) {
      const rows = Math.min(per, N - start);
      const slice = hidden.data.subarray(start * T * d, (start + rows) * T * d);
      await this.timed(
        session,
        () => ({ hidden: float32Tensor(slice, [rows, T, d]), ...weights }),
        async (o) => {
          out.set(await readFloat32(o.hidden_out as ort.Tensor), start * T * d);
          await onBatch(o); // before the outputs are disposed
        },
      );
    }
    return { data: out, windows: N, tokens: T, channels: d };
  }

  async runBlock(spec: ModelSpec, block: number, hidden: HiddenStates, stats: StatsKind): Promise<BlockRun> {
    checkBlock(spec, block);
    const groups = blockStatGroups(spec, block);
    const sums = groups.map((g) => ({ sq: new Float64Array(g.channels), gram: stats === 'gram' ? new Float64Array(g.channels * g.channels) : null }));
    const output = await this.blockPass(spec, block, hidden, { stats }, async (o) => {
      for (const [k, g] of groups.entries()) {
        if (stats === 'none') break;
        await accumulate(o[`sqnorm.${g.name}`] as ort.Tensor, sums[k].sq);
        const gram = sums[k].gram;
        if (gram) await accumulate(o[`gram.${g.name}`] as ort.Tensor, gram);
      }
    });
    this.forwardPasses += 1 / spec.layers.length;
    const inputs = new Map<string, LinearInputStats>();
    if (stats !== 'none')
      groups.forEach((g, k) => {
        const entry: LinearInputStats = { sqNorm: sums[k].sq, gram: sums[k].gram, tokens: hidden.windows * hidden.tokens };
        for (const name of g.weights) inputs.set(name, entry);
      });
    return { output, inputs };
  }

  async gatedNll(spec: ModelSpec, windows: Int32Array[], gates: number[]): Promise<number> {
    const T = checkWindows(spec, windows, 2);
    const L = spec.layers.length;
    if (gates.length !== L || gates.some((g) => !Number.isFinite(g))) throw new LabError('bad-argument', `gates must be ${L} finite numbers, got ${gates.length}`);
    let session = this.nllSessions.get(spec);
    if (!session) {
      session = this.track(() => buildModelProto(spec, { purpose: 'gated-nll' }), true);
      this.nllSessions.set(spec, session);
    }
    const s = await session;
    const gateTensor = () => float32Tensor(Float32Array.from(gates), [L]);
    const per = this.windowsPerRun(spec, T, true);
    let total = 0;
    for (let start = 0; start < windows.length; start += per) {
      const batch = windows.slice(start, start + per);
      const ids = new BigInt64Array(batch.length * T);
      batch.forEach((w, r) => {
        for (let t = 0; t < T; t++) ids[r * T + t] = BigInt(w[t]);
      });
      total += await this.timed(
        s,
        () => ({ input_ids: new ort.Tensor('int64', ids, [batch.length, T]), block_gates: gateTensor() }),
        async (o) => (await readFloat32(o.nll as ort.Tensor)).reduce((sum, v) => sum + v, 0),
      );
    }
    this.forwardPasses += 1;
    return total;
  }

  async blockInfluence(spec: ModelSpec, windows: Int32Array[]): Promise<number[]> {
    const T = checkWindows(spec, windows, 1);
    const L = spec.layers.length;
    const cosSums = new Float64Array(L);
    const per = this.windowsPerRun(spec, T);
    // Window batches go through all blocks in turn, so only one batch of hidden states is held.
    for (let start = 0; start < windows.length; start += per) {
      let hidden = await this.embed(spec, windows.slice(start, start + per));
      for (let i = 0; i < L; i++) {
        hidden = await this.blockPass(spec, i, hidden, { stats: 'none', cosine: true }, async (o) => {
          for (const c of await readFloat32(o.token_cos as ort.Tensor)) cosSums[i] += c;
        });
      }
    }
    this.forwardPasses += 1;
    return Array.from(cosSums, (s) => 1 - s / (windows.length * T));
  }

  async dispose(): Promise<void> {
    const sessions = this.allSessions.splice(0);
    this.blockSessions.clear();
    for (const s of sessions) await (await s).release();
    for (const pool of this.pools.splice(0)) pool.dispose();
  }
}

/** Adds a float32 output into a float64 accumulator. */
async function accumulate(t: ort.Tensor, into: Float64Array): Promise<void> {
  const data = await readFloat32(t);
  for (let j = 0; j < into.length; j++) into[j] += data[j];
}

function checkBlock(spec: ModelSpec, block: number): void {
  if (!Number.isInteger(block) || block < 0 || block >= spec.layers.length)
    throw new LabError('bad-argument', `block ${block} is not in 0..${spec.layers.length - 1}`);
}

/** Validates windows (one length ≥ minTokens, ids in the vocabulary) and returns that length. */
function checkWindows(spec: ModelSpec, windows: Int32Array[], minTokens: number): number {
  if (windows.length === 0) throw new LabError('bad-argument', 'no calibration windows');
  const T = windows[0].length;
  if (T < minTokens || windows.some((w) => w.length !== T)) throw new LabError('bad-argument', `calibration windows must share one length ≥ ${minTokens}`);
  if (T > spec.config.maxPositionEmbeddings) throw new LabError('bad-argument', `${T}-token windows exceed the model's context of ${spec.config.maxPositionEmbeddings}`);
  const V = spec.config.vocabSize;
  for (const w of windows) for (const id of w) if (id < 0 || id >= V) throw new LabError('bad-argument', `token id ${id} is outside the vocabulary of ${V}`);
  return T;
}
