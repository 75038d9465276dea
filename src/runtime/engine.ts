// An Engine runs one ModelSpec: full logits, batched window NLL, and KV-cache decoding. It builds
// graphs with graph/ and creates sessions lazily (one per purpose). Imports onnxruntime only via ./ort.

import { LabError } from '../errors';
import { buildModelProto } from '../graph/build-graph';
import type { GraphOptions } from '../graph/graph-parts';
import type { ComputePrecision } from '../graph/precision';
import { parameterCount, type ModelSpec } from '../model/model-spec';
import type { DeviceWeights } from './device-weights';
import { deviceLostError, raceDeviceLoss, throwIfDeviceLostDuringJob, webGpuGeneration } from './gpu-device';
import { createDeviceWeights, createSessionFromModel, float32Tensor, int64Tensor, ort, readFloat32, type Backend, type LabSession } from './ort';

export interface EngineOptions {
  backend: Backend;
  /** Fold projections/RoPE/scales into weights (default true); false builds the export layout. */
  fold?: boolean;
  /** 'fp16': weight matrices held and multiplied in float16 (graph/precision.ts); default 'fp32'. */
  precision?: ComputePrecision;
  /** Tokens per nll batch (windows × window length); default 2048. */
  maxBatchTokens?: number;
  /**
   * Sessions (purposes) kept alive at once; each holds its own copy of every weight inside
   * onnxruntime. Default: 1 when the fp32 weights exceed LARGE_MODEL_BYTES (switching purpose then
   * rebuilds a session, seconds), else all three.
   */
  maxLiveSessions?: number;
  /**
   * WebGPU: the weights live in GPU buffers shared by every purpose's session (graph inputs; default
   * true). false embeds them in each session's graph (through the wasm heap, one copy per session).
   */
  deviceWeights?: boolean;
}

/** Above this many bytes of fp32 weights an engine keeps one session alive at a time. */
export const LARGE_MODEL_BYTES = 256 * 1024 * 1024;

export interface Engine {
  readonly spec: ModelSpec;
  readonly backend: Backend;
  /** Sessions created so far (a rebuilt engine after pruning starts again at 0). */
  readonly sessionsCreated: number;
  /** Weight bytes held in device buffers shared by the sessions (WebGPU), 0 when none. */
  readonly deviceWeightBytes: number;
  /** Tokens held in the KV cache. */
  readonly cacheLength: number;
  /** Logits [T, vocab] for one sequence, no cache. */
  logits(ids: number[]): Promise<Float32Array>;
  /** Mean NLL over positions 1..L−1 of each window (all windows the same length L), batched. */
  scoreWindows(windows: Int32Array[]): Promise<number[]>;
  /** Per window, the NLL of each token given those before it: L−1 values for positions 1..L−1 (one length L), batched. */
  tokenNlls(windows: Int32Array[]): Promise<Float32Array[]>;
  /** How many windows of length L the engine scores in one run. */
  windowsPerBatch(windowLength: number): number;
  /** Clears the cache, then runs the prompt; returns the last position's logits [vocab]. */
  prefill(ids: number[]): Promise<Float32Array>;
  /** Appends one token to the cache; returns its logits [vocab]. */
  step(token: number): Promise<Float32Array>;
  resetCache(): void;
  /** Releases every session (and the cache) now; the engine stays usable and rebuilds what it needs. */
  releaseSessions(): Promise<void>;
  dispose(): Promise<void>;
}

type Purpose = 'logits' | 'nll' | 'decode';

export async function createEngine(spec: ModelSpec, options: EngineOptions): Promise<Engine> {
  const engine = new OrtEngine(spec, options);
  return engine;
}

class OrtEngine implements Engine {
  sessionsCreated = 0;
  private readonly sessions = new Map<Purpose, Promise<LabSession>>();
  private deviceWeights: DeviceWeights | null = null;
  private past: Record<string, ort.Tensor> | null = null;
  private pastLength = 0;
  /** The WebGPU device generation the sessions and device weights were made on (gpu-device.ts). */
  private generation = webGpuGeneration();
  readonly backend: Backend;

  constructor(
    readonly spec: ModelSpec,
    private readonly options: EngineOptions,
  ) {
    this.backend = options.backend;
  }

  get cacheLength(): number {
    return this.pastLength;
  }

  get deviceWeightBytes(): number {
    return this.deviceWeights?.bytesHeld ?? 0;
  }

  private get usesDeviceWeights(): boolean {
    return this.backend === 'webgpu' && this.options.deviceWeights !== false;
  }

  /** The engine's device weight pool (WebGPU), made on first use. */
  private pool(): DeviceWeights | undefined {
    if (!this.usesDeviceWeights) return undefined;
    this.deviceWeights ??= createDeviceWeights();
    return this.deviceWeights;
  }

  private async session(purpose: Purpose): Promise<LabSession> {
    if (this.backend === 'webgpu') {
      if (this.generation !== webGpuGeneration()) await this.dropLostDevice();
      throwIfDeviceLostDuringJob();
    }
    let s = this.sessions.get(purpose);
    if (!s) {
      await this.makeRoomForSession();
      const graph: GraphOptions =
        purpose === 'nll'
          ? { purpose: 'nll', fold: this.options.fold, precision: this.options.precision }
          : { purpose: 'decoder', fold: this.options.fold, lastLogitsOnly: purpose === 'decode', precision: this.options.precision };
      const gpuOutputs = purpose === 'decode' ? this.presentNames() : [];
      s = createSessionFromModel(buildModelProto(this.spec, graph), { backend: this.backend, gpuOutputs, deviceWeights: this.pool() });
      this.sessionsCreated++;
      this.sessions.set(purpose, s);
      // A session that failed to build (e.g. a weights file gone) is not kept: the next call tries again,
      // and releasing the engine does not rethrow the old failure.
      const made = s;
      made.catch(() => {
        if (this.sessions.get(purpose) === made) this.sessions.delete(purpose);
      });
    }
    return s;
  }

  /** Releases other purposes' sessions when the cap is reached (the decode cache goes with its session). */
  private async makeRoomForSession(): Promise<void> {
    // Sessions bound to device weights hold no weight copy of their own.
    const max = this.options.maxLiveSessions ?? (!this.usesDeviceWeights && parameterCount(this.spec) * 4 > LARGE_MODEL_BYTES ? 1 : 3);
    for (const [other, pending] of [...this.sessions]) {
      if (this.sessions.size < max) break;
      if (other === 'decode') this.resetCache();
      this.sessions.delete(other);
      await (await pending).release();
    }
  }

  private presentNames(): string[] {
    return this.spec.layers.flatMap((_, i) => [`present.${i}.key`, `present.${i}.value`]);
  }

  private emptyPast(): Record<string, ort.Tensor> {
    const feeds: Record<string, ort.Tensor> = {};
    this.spec.layers.forEach((l, i) => {
      for (const kv of ['key', 'value']) feeds[`past_key_values.${i}.${kv}`] = float32Tensor(new Float32Array(0), [1, l.numKvHeads, 0, l.headDim]);
    });
    return feeds;
  }

  private decoderFeeds(ids: number[], pastLength: number, past: Record<string, ort.Tensor>): Record<string, ort.Tensor> {
    const total = pastLength + ids.length;
    if (total > this.spec.config.maxPositionEmbeddings)
      throw new LabError('bad-argument', `${total} tokens exceed the model's context of ${this.spec.config.maxPositionEmbeddings}`);
    return {
      input_ids: int64Tensor(ids, [1, ids.length]),
      attention_mask: int64Tensor(new Array<number>(total).fill(1), [1, total]),
      position_ids: int64Tensor(Array.from(ids, (_, t) => pastLength + t), [1, ids.length]),
      ...past,
    };
  }

  async logits(ids: number[]): Promise<Float32Array> {
    const session = await this.session('logits');
    const out = await run(session, this.decoderFeeds(ids, 0, this.emptyPast()), this.backend);
    return readFloat32(out.logits as ort.Tensor);
  }

  windowsPerBatch(windowLength: number): number {
    return Math.max(1, Math.floor((this.options.maxBatchTokens ?? 2048) / windowLength));
  }

  async scoreWindows(windows: Int32Array[]): Promise<number[]> {
    return (await this.tokenNlls(windows)).map((nll) => nll.reduce((a, b) => a + b, 0) / nll.length);
  }

  async tokenNlls(windows: Int32Array[]): Promise<Float32Array[]> {
    if (windows.length === 0) return [];
    const L = windows[0].length;
    if (L < 2 || windows.some((w) => w.length !== L)) throw new LabError('bad-argument', 'windows must share one length ≥ 2');
    const session = await this.session('nll');
    const out: Float32Array[] = [];
    const per = this.windowsPerBatch(L);
    for (let start = 0; start < windows.length; start += per) {
      const batch = windows.slice(start, start + per);
      const ids = new BigInt64Array(batch.length * L);
      batch.forEach((w, r) => w.forEach((v, t) => (ids[r * L + t] = BigInt(v))));
      const result = await run(session, { input_ids: new ort.Tensor('int64', ids, [batch.length, L]) }, this.backend);
      const nll = await readFloat32(result.nll as ort.Tensor);
      for (let r = 0; r < batch.length; r++) out.push(nll.slice(r * (L - 1), (r + 1) * (L - 1)));
    }
    return out;
  }


  resetCache(): void {
    if (this.past) for (const t of Object.values(this.past)) if (t.location === 'gpu-buffer') t.dispose();
    this.past = null;
    this.pastLength = 0;
  }

  private async decode(ids: number[]): Promise<Float32Array> {
    const session = await this.session('decode');
    const out = await run(session, this.decoderFeeds(ids, this.pastLength, this.past ?? this.emptyPast()), this.backend);
    const next: Record<string, ort.Tensor> = {};
    this.spec.layers.forEach((_, i) => {
      for (const kv of ['key', 'value']) next[`past_key_values.${i}.${kv}`] = out[`present.${i}.${kv}`] as ort.Tensor;
    });
    const logits = await readFloat32(out.logits as ort.Tensor);
    const length = this.pastLength + ids.length;
    this.resetCache();
    this.past = next;
    this.pastLength = length;
    return logits;
  }

  async prefill(ids: number[]): Promise<Float32Array> {
    if (ids.length === 0) throw new LabError('bad-argument', 'prefill needs at least one token');
    this.resetCache();
    return this.decode(ids);
  }

  async step(token: number): Promise<Float32Array> {
    if (!this.past) throw new LabError('bad-argument', 'step() before prefill()');
    return this.decode([token]);
  }

  /** The device the sessions ran on is gone: forget them and their buffers (nothing to release there); the next call rebuilds on a new device. */
  private async dropLostDevice(): Promise<void> {
    this.generation = webGpuGeneration();
    this.past = null;
    this.pastLength = 0;
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    for (const s of sessions) await (await s.catch(() => null))?.release().catch(() => undefined);
    this.deviceWeights = null;
  }

  async releaseSessions(): Promise<void> {
    this.resetCache();
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    // A session that failed to build holds nothing to release (its error was reported when it failed).
    for (const s of sessions) await (await s.catch(() => null))?.release();
    this.deviceWeights?.dispose();
    this.deviceWeights = null;
  }

  dispose(): Promise<void> {
    return this.releaseSessions();
  }
}

async function run(session: LabSession, feeds: Record<string, ort.Tensor>, backend: Backend): Promise<ort.InferenceSession.OnnxValueMapType> {
  const generation = webGpuGeneration();
  try {
    if (backend !== 'webgpu') return await session.run(feeds);
    // A device lost mid-run must fail the job, never leave it waiting on work the GPU will not finish.
    return await raceDeviceLoss(session.run(feeds));
  } catch (error) {
    if (backend === 'webgpu' && webGpuGeneration() !== generation) throw error instanceof LabError && error.code === 'device-lost' ? error : deviceLostError(error);
    throw new LabError('runtime', `onnxruntime run failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}
