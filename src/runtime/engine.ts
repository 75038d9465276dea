// An Engine runs one ModelSpec: full logits, batched window NLL, and KV-cache decoding. It builds
// graphs with graph/ and creates sessions lazily (one per purpose). Imports onnxruntime only via ./ort.

import { LabError } from '../errors';
import { buildModelProto } from '../graph/build-graph';
import type { GraphOptions } from '../graph/graph-parts';
import type { ComputePrecision } from '../graph/precision';
import { parameterCount, type ModelSpec } from '../model/model-spec';
import { fixedKvCacheSupported } from '../graph/graph-parts';
import type { DeviceWeights } from './device-weights';
import { deviceLostError, raceDeviceLoss, throwIfDeviceLostDuringJob, webGpuDevice, webGpuGeneration } from './gpu-device';
import { DeviceFixedKvCache, emptyPastFeeds, GrowingKvCache, HostFixedKvCache, layerShapes, type KvCache, type KvDevice } from './kv-cache';
import { createDeviceWeights, createSessionFromModel, int64Tensor, ort, readFloat32, type Backend, type LabSession } from './ort';

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
  /**
   * The decode cache (runtime/kv-cache.ts): 'fixed' = GroupQueryAttention over fixed-capacity buffers
   * (on WebGPU one device buffer per layer and key/value, written in place: no per-step allocation or
   * copy); 'growing' = Concat(past, new). Default: 'fixed' on WebGPU when every layer's headDim % 8 = 0
   * (the kernel's rule), else 'growing'. 'fixed' is refused for specs it cannot build.
   */
  kvCache?: 'growing' | 'fixed';
}

let defaultKvCache: 'growing' | 'fixed' | null = null;

/** The cache form engines get when EngineOptions.kvCache is unset (null: the backend's default). A bench/test hook (`?kvCache=growing`). */
export function setDefaultKvCache(kind: 'growing' | 'fixed' | null): void {
  defaultKvCache = kind;
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
  /** The decode cache's form and its buffers' room (tokens) and bytes now allocated. */
  readonly kvCache: { kind: 'growing' | 'fixed'; capacity: number; bytesAllocated: number };
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
  /** Appends several tokens to the cache in one run (a prompt in chunks); returns the last one's logits [vocab]. */
  extend(ids: number[]): Promise<Float32Array>;
  /** Makes room for `tokens` tokens in the cache now (a fixed cache grows here, not during a timed or later step). */
  reserve(tokens: number): Promise<void>;
  /** Frees the cache's buffers (a fixed cache keeps them across prompts otherwise); the next prefill makes new ones. */
  releaseCache(): void;
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
  private readonly cache: KvCache;
  private readonly kvKind: 'growing' | 'fixed';
  /** The WebGPU device generation the sessions and device weights were made on (gpu-device.ts). */
  private generation = webGpuGeneration();
  readonly backend: Backend;

  constructor(
    readonly spec: ModelSpec,
    private readonly options: EngineOptions,
  ) {
    this.backend = options.backend;
    const supported = fixedKvCacheSupported(spec);
    if (options.kvCache === 'fixed' && !supported)
      throw new LabError('bad-argument', 'the fixed-capacity KV cache needs every layer\'s head size to be a multiple of 8 (GroupQueryAttention)');
    const asked = options.kvCache ?? defaultKvCache;
    this.kvKind = asked === 'growing' || !supported ? 'growing' : asked === 'fixed' || this.backend === 'webgpu' ? 'fixed' : 'growing';
    this.cache = this.makeCache();
  }

  private makeCache(): KvCache {
    const layers = layerShapes(this.spec);
    const context = this.spec.config.maxPositionEmbeddings;
    if (this.kvKind === 'growing') return new GrowingKvCache(layers);
    if (this.backend !== 'webgpu') return new HostFixedKvCache(layers, context);
    const tensor = (buffer: unknown, dims: number[]) => ort.Tensor.fromGpuBuffer(buffer as ort.Tensor.GpuBufferType, { dataType: 'float32', dims });
    return new DeviceFixedKvCache(layers, context, () => webGpuDevice() as Promise<KvDevice>, tensor);
  }

  get cacheLength(): number {
    return this.cache.length;
  }

  get kvCache(): { kind: 'growing' | 'fixed'; capacity: number; bytesAllocated: number } {
    return { kind: this.kvKind, capacity: this.cache.capacity, bytesAllocated: this.cache.bytesAllocated };
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
          : {
              purpose: 'decoder',
              fold: this.options.fold,
              lastLogitsOnly: purpose === 'decode',
              precision: this.options.precision,
              kvCache: purpose === 'decode' ? this.kvKind : 'growing',
            };
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

  /** input_ids, attention_mask and position_ids for `ids` after `pastLength` cached tokens (the past.* feeds come from the cache). */
  private decoderFeeds(ids: number[], pastLength: number): Record<string, ort.Tensor> {
    const total = pastLength + ids.length;
    if (total > this.spec.config.maxPositionEmbeddings)
      throw new LabError('bad-argument', `${total} tokens exceed the model's context of ${this.spec.config.maxPositionEmbeddings}`);
    return {
      input_ids: int64Tensor(ids, [1, ids.length]),
      attention_mask: int64Tensor(new Array<number>(total).fill(1), [1, total]),
      position_ids: int64Tensor(Array.from(ids, (_, t) => pastLength + t), [1, ids.length]),
    };
  }

  async logits(ids: number[]): Promise<Float32Array> {
    const session = await this.session('logits');
    const out = await run(session, { ...this.decoderFeeds(ids, 0), ...emptyPastFeeds(layerShapes(this.spec)) }, this.backend);
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
    this.cache.reset();
  }

  /** Runs `ids` through the decode session: a new prompt (`append` null) or appended to it by step() / extend(). */
  private async decode(ids: number[], append: 'step' | 'extend' | null): Promise<Float32Array> {
    // A prompt leaves ≥ 1 token cached; reset, release, a failed run and a lost device leave none.
    if (append && this.cache.length === 0) throw new LabError('bad-argument', `${append}() before prefill()`);
    const session = await this.session('decode');
    // The device may have been lost since the prefill (session() then drops the cache with it).
    if (append && this.cache.length === 0) throw new LabError('device-lost', 'the GPU device was lost since the prompt was run, and the KV cache with it: run the prompt again');
    const pastLength = this.cache.length;
    const total = pastLength + ids.length;
    const feeds = this.decoderFeeds(ids, pastLength); // checks the context before the cache grows
    const past = await this.cache.prepare(total);
    // Fixed on the device: present.* are bound to the past buffers (written in place); every other output is fetched as usual.
    const fetches = past.fetches ? { ...Object.fromEntries(session.outputNames.map((n) => [n, null])), ...past.fetches } : undefined;
    let logits: Float32Array;
    try {
      const out = await run(session, { ...feeds, ...past.feeds }, this.backend, fetches);
      this.cache.commit(out, total); // the growing cache takes (and later disposes) the new present tensors
      logits = await readFloat32(out.logits as ort.Tensor);
    } catch (error) {
      this.releaseCache(); // a half-written (or lost) cache must not be extended
      throw error;
    }
    return logits;
  }

  async reserve(tokens: number): Promise<void> {
    await this.cache.reserve(tokens);
  }

  releaseCache(): void {
    this.resetCache();
    this.cache.dispose();
  }

  async prefill(ids: number[]): Promise<Float32Array> {
    if (ids.length === 0) throw new LabError('bad-argument', 'prefill needs at least one token');
    this.resetCache();
    return this.decode(ids, null);
  }

  async step(token: number): Promise<Float32Array> {
    return this.decode([token], 'step');
  }

  async extend(ids: number[]): Promise<Float32Array> {
    if (ids.length === 0) throw new LabError('bad-argument', 'extend needs at least one token');
    return this.decode(ids, 'extend');
  }

  /** The device the sessions ran on is gone: forget them and their buffers (nothing to release there); the next call rebuilds on a new device. */
  private async dropLostDevice(): Promise<void> {
    this.generation = webGpuGeneration();
    this.cache.dispose(); // its buffers went with the device
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    for (const s of sessions) await (await s.catch(() => null))?.release().catch(() => undefined);
    this.deviceWeights = null;
  }

  async releaseSessions(): Promise<void> {
    this.releaseCache();
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

async function run(
  session: LabSession,
  feeds: Record<string, ort.Tensor>,
  backend: Backend,
  fetches?: ort.InferenceSession.FetchesType,
): Promise<ort.InferenceSession.OnnxValueMapType> {
  const generation = webGpuGeneration();
  try {
    if (backend !== 'webgpu') return await session.run(feeds, fetches);
    // A device lost mid-run must fail the job, never leave it waiting on work the GPU will not finish.
    return await raceDeviceLoss(session.run(feeds, fetches));
  } catch (error) {
    if (backend === 'webgpu' && webGpuGeneration() !== generation) throw error instanceof LabError && error.code === 'device-lost' ? error : deviceLostError(error);
    throw new LabError('runtime', `onnxruntime run failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}
