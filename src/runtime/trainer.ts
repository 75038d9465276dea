// Training on the lab's runtime, from the gradient graph of graph/train-graph.ts. Two ways to keep the
// state (trainable weights, both moments, gradient sums):
// - WebGPU: on the device. The gradient graph adds to sums fed back, and the AdamW graph is a second
//   session; every state tensor is a `gpu-buffer` output fed straight back, never copied to JS. Only the
//   loss and the gradient norm are read per step.
// - CPU backends (onnxruntime-node, WASM): in JS memory, where those backends keep it anyway. The
//   session returns the gradients and ./host-adamw updates weights and moments in place, in one pass
//   (the graph form cost a fresh copy of the whole state and ~14 passes per step there).
// Frozen weights are the gradient graph's initializers (device weights on WebGPU). Learning-rate
// warm-up and decay are computed here and fed as scalars.

import { LabError } from '../errors';
import { transpose2d } from '../formats/dtype';
import { mergeLora, type LoraOptions } from '../graph/lora-graph';
import { mulberry32 } from '../pruning/calibration-data';
import { buildTeacherGraph, buildTrainGraphs, DEFAULT_ADAMW, type AdamWOptions, type DistillOptions, type MaskedValue, type ChannelRegularizer, type TrainParam } from '../graph/train-graph';
import type { ModelSpec } from '../model/model-spec';
import type { DeviceWeights } from './device-weights';
import { hostAdamWStep, type HostAdamWState } from './host-adamw';
import { createDeviceWeights, createSessionFromModel, ort, readFloat32, type Backend, type LabSession } from './ort';

export type LrSchedule = 'cosine' | 'linear' | 'constant';

export interface TrainerOptions {
  backend: Backend;
  /** Which ModelSpec weights train (others stay frozen and shared). */
  trainable: (weight: string) => boolean;
  /** Windows per micro-batch and their length in tokens. */
  batch: number;
  seqLen: number;
  /** Micro-batches accumulated per optimizer step (default 1). */
  microBatches?: number;
  lr: number;
  /** Linear warm-up from 0 over this many steps (default 0). */
  warmupSteps?: number;
  /** Steps of the whole run (the decay's length). */
  totalSteps: number;
  schedule?: LrSchedule;
  adamw?: Partial<AdamWOptions>;
  /** LoRA adapters on these weights (base weights frozen; merged by weights()). */
  lora?: LoraOptions;
  /** Seed of the LoRA A initialisation (default 0). */
  seed?: number;
  /** DReSS: λ·Σ‖slice‖ of the hidden channels added to the loss (graph/train-graph). */
  regularizer?: ChannelRegularizer;
  /** Weights multiplied by masks fed at every step (movement pruning); their mask gradients come back. */
  masked?: string[];
  /** Distillation from the model as given (the teacher, frozen): its log-probabilities at temperature T each step. */
  distill?: DistillOptions;
}

/** What a step needs beyond the windows: the masks of `masked` weights (ModelSpec layout, 1 keep / 0 drop). */
export interface StepInputs {
  masks?: Map<string, Float32Array>;
}

export interface TrainStepResult {
  /** 1-based optimizer step. */
  step: number;
  /** Mean NLL over the step's micro-batches. */
  loss: number;
  /** Global L2 norm of the mean gradient, before clipping. */
  gradNorm: number;
  /** With a regularizer: λ·Σ‖slice‖ and Σ‖slice‖₂ of the weights the step started from. */
  penalty?: number;
  sliceNorm?: number;
  lr: number;
  tokens: number;
  stepMs: number;
  /** With `masked`: ∂L/∂mask per masked weight (ModelSpec layout), summed over micro-batches, at the step's weights. */
  maskGradients?: Map<string, Float32Array>;
  /** With `distill`: the mean KL(teacher ‖ student) at temperature T. */
  distillKl?: number;
}

export interface Trainer {
  readonly params: readonly TrainParam[];
  readonly steps: number;
  /** One optimizer step over `batch × microBatches` windows of `seqLen` tokens. */
  step(windows: Int32Array[], inputs?: StepInputs): Promise<TrainStepResult>;
  /** Mean NLL of the current weights (adapters included, masks applied) on `batch` windows, without a step. */
  loss(windows: Int32Array[], inputs?: StepInputs): Promise<number>;
  /**
   * The trained weights as the ModelSpec stores them (Wᵀ transposed back), by weight name; LoRA
   * targets merged (W + α/r·(A·B)ᵀ, pruned zeros kept exactly).
   */
  weights(): Promise<Map<string, Float32Array>>;
  dispose(): Promise<void>;
}

/** The learning rate at 1-based `step`: linear warm-up, then cosine or linear decay to 0, or constant. */
export function learningRateAt(step: number, o: Pick<TrainerOptions, 'lr' | 'warmupSteps' | 'totalSteps' | 'schedule'>): number {
  const warm = o.warmupSteps ?? 0;
  if (step <= warm) return (o.lr * step) / Math.max(1, warm);
  const schedule = o.schedule ?? 'cosine';
  if (schedule === 'constant') return o.lr;
  const progress = Math.min(1, (step - warm) / Math.max(1, o.totalSteps - warm));
  return schedule === 'linear' ? o.lr * (1 - progress) : o.lr * 0.5 * (1 + Math.cos(Math.PI * progress));
}

export async function createTrainer(spec: ModelSpec, options: TrainerOptions): Promise<Trainer> {
  for (const [key, v] of Object.entries({ batch: options.batch, seqLen: options.seqLen, totalSteps: options.totalSteps }))
    if (!Number.isInteger(v) || v < 1) throw new LabError('bad-argument', `${key} must be a positive integer, got ${v}`);
  if (options.seqLen < 2 || options.seqLen > spec.config.maxPositionEmbeddings)
    throw new LabError('bad-argument', `seqLen must be in 2..${spec.config.maxPositionEmbeddings}, got ${options.seqLen}`);
  if (!(options.lr > 0)) throw new LabError('bad-argument', `lr must be positive, got ${options.lr}`);
  const onGpu = options.backend === 'webgpu';
  const graphs = buildTrainGraphs(spec, { ...options, accumulate: onGpu });
  const pool = onGpu ? createDeviceWeights() : undefined;
  // The teacher reads the model as given; on WebGPU its log-probabilities stay on the device.
  const teacher = options.distill
    ? await createSessionFromModel(buildTeacherGraph(spec, options.distill.temperature), { backend: options.backend, deviceWeights: pool, gpuOutputs: onGpu ? ['teacher_logp'] : [] })
    : null;
  const sessions = { teacher, masks: graphs.masks, pool };
  if (!onGpu) return new OrtTrainer(spec, options, graphs.params, await createSessionFromModel(graphs.gradient, { backend: options.backend }), null, sessions);
  const kept = (prefixes: string[]) => graphs.params.flatMap((p) => prefixes.map((x) => `${x}${p.name}`));
  const gradient = await createSessionFromModel(graphs.gradient, { backend: options.backend, deviceWeights: pool, gpuOutputs: kept(['gradacc_out.']) });
  const optimizer = graphs.optimizer ? await createSessionFromModel(graphs.optimizer, { backend: options.backend, gpuOutputs: kept(['new.', 'new_m.', 'new_v.']) }) : null;
  return new OrtTrainer(spec, options, graphs.params, gradient, optimizer, sessions);
}

class OrtTrainer implements Trainer {
  steps = 0;
  private readonly state = new Map<string, ort.Tensor>(); // `<name>`, `m.<name>`, `v.<name>`
  /** Without an optimizer session: the state's arrays, updated in place by hostAdamWStep (same order as params). */
  private readonly host: HostAdamWState[] | null;

  constructor(
    private readonly spec: ModelSpec,
    private readonly options: TrainerOptions,
    readonly params: TrainParam[],
    private readonly gradient: LabSession,
    private readonly optimizer: LabSession | null,
    private readonly extra: { teacher: LabSession | null; masks: MaskedValue[]; pool: DeviceWeights | undefined },
  ) {
    const random = mulberry32(options.seed ?? 0);
    for (const p of params) {
      let data: Float32Array;
      if (p.lora) {
        // PEFT's initialisation: A ~ U(±1/√in) (kaiming-uniform, a = √5), B = 0, so training starts at the base model.
        const bound = 1 / Math.sqrt(p.lora.target.inFeatures);
        const n = p.dims[0] * p.dims[1];
        data = p.lora.role === 'A' ? Float32Array.from({ length: n }, () => (2 * random() - 1) * bound) : new Float32Array(n);
      } else {
        const source = spec.weights.get(p.weight)!.data;
        data = p.transposed ? transpose2d(source, p.dims[1], p.dims[0]) : Float32Array.from(source);
      }
      this.state.set(p.name, new ort.Tensor('float32', data, p.dims));
      this.state.set(`m.${p.name}`, zeros(p.dims));
      this.state.set(`v.${p.name}`, zeros(p.dims));
    }
    const array = (key: string) => this.state.get(key)!.data as Float32Array;
    this.host = optimizer || options.backend === 'webgpu'
      ? null
      : params.map((p) => ({ weight: array(p.name), m: array(`m.${p.name}`), v: array(`v.${p.name}`), decay: p.dims.length >= 2, keep: p.keep?.() }));
  }

  private checkWindows(windows: Int32Array[], count: number): void {
    const { seqLen } = this.options;
    if (windows.length !== count || windows.some((w) => w.length !== seqLen))
      throw new LabError('bad-argument', `a step takes ${count} windows of ${seqLen} tokens, got ${windows.length}`);
    const V = this.spec.config.vocabSize;
    for (const w of windows) for (const id of w) if (id < 0 || id >= V) throw new LabError('bad-argument', `token id ${id} is outside the vocabulary of ${V}`);
  }

  async loss(windows: Int32Array[], inputs: StepInputs = {}): Promise<number> {
    this.checkWindows(windows, this.options.batch);
    const { loss, acc } = await this.accumulate(windows, 1, inputs);
    disposeGpu([...acc.values()]);
    return loss;
  }

  /**
   * Runs the gradient graph over `micro` micro-batches; the mean loss and the gradient sums (with an
   * optimizer session: device tensors summed by the graph; without: JS arrays summed here, in params order).
   */
  private async accumulate(
    windows: Int32Array[],
    micro: number,
    inputs: StepInputs,
  ): Promise<{ loss: number; acc: Map<string, ort.Tensor>; sums: Float32Array[]; penalty?: number; sliceNorm?: number; maskGradients?: Map<string, Float32Array>; distillKl?: number }> {
    const { batch, seqLen } = this.options;
    const maskFeeds = this.maskFeeds(inputs);
    const maskGradients = this.extra.masks.length > 0 ? new Map<string, Float32Array>() : undefined;
    let distillSum = 0;
    // Gradient sums by param name: zeros, then each micro-batch's gradacc_out fed back.
    let acc = new Map(this.host ? [] : this.params.map((p) => [p.name, zeros(p.dims)]));
    const sums: Float32Array[] = [];
    let lossSum = 0;
    let penalty: number | undefined;
    let sliceNorm: number | undefined;
    for (let k = 0; k < micro; k++) {
      const ids = new BigInt64Array(batch * seqLen);
      for (let r = 0; r < batch; r++) windows[k * batch + r].forEach((v, t) => (ids[r * seqLen + t] = BigInt(v)));
      const feeds: Record<string, ort.Tensor> = { input_ids: new ort.Tensor('int64', ids, [batch, seqLen]), ...maskFeeds };
      if (this.extra.teacher) feeds.teacher_logp = (await run(this.extra.teacher, { input_ids: feeds.input_ids }, 'teacher')).teacher_logp as ort.Tensor;
      for (const p of this.params) {
        feeds[p.name] = this.state.get(p.name)!;
        if (!this.host) feeds[`gradacc.${p.name}`] = acc.get(p.name)!;
      }
      const out = await run(this.gradient, feeds, 'gradient');
      lossSum += (await readFloat32(out.loss as ort.Tensor))[0];
      if (out.penalty) {
        penalty = (await readFloat32(out.penalty as ort.Tensor))[0];
        sliceNorm = (await readFloat32(out.slice_norm as ort.Tensor))[0];
      }
      (out.loss as ort.Tensor).dispose();
      if (feeds.teacher_logp) {
        distillSum += (await readFloat32(out.distill_kl as ort.Tensor))[0];
        disposeGpu([feeds.teacher_logp]);
      }
      for (const m of this.extra.masks) {
        const g = await readFloat32(out[`grad.mask.${m.value}`] as ort.Tensor);
        const spec = m.transposed ? transpose2d(g, m.dims[0], m.dims[1]) : Float32Array.from(g);
        const sum = maskGradients!.get(m.weight);
        if (!sum) maskGradients!.set(m.weight, spec);
        else for (let j = 0; j < spec.length; j++) sum[j] += spec[j];
      }
      if (this.host) {
        this.params.forEach((p, i) => {
          const g = out[`grad.${p.name}`].data as Float32Array;
          if (k === 0) sums.push(g);
          else for (let j = 0; j < g.length; j++) sums[i][j] += g[j];
        });
        continue;
      }
      disposeGpu([...acc.values()]);
      acc = new Map(this.params.map((p) => [p.name, out[`gradacc_out.${p.name}`] as ort.Tensor]));
    }
    return { loss: lossSum / micro, acc, sums, penalty, sliceNorm, maskGradients, ...(this.extra.teacher ? { distillKl: distillSum / micro } : {}) };
  }

  /** The masks of the masked weights as graph inputs (transposed where the graph holds Wᵀ); all ones when not given. */
  private maskFeeds(inputs: StepInputs): Record<string, ort.Tensor> {
    const feeds: Record<string, ort.Tensor> = {};
    for (const m of this.extra.masks) {
      const given = inputs.masks?.get(m.weight);
      const size = m.dims[0] * m.dims[1];
      if (given && given.length !== size) throw new LabError('bad-argument', `the mask of ${m.weight} has ${given.length} entries, the weight ${size}`);
      // Wᵀ [in, out] holds W [out, in]: the mask in W's layout is [dims[1], dims[0]].
      const data = !given ? new Float32Array(size).fill(1) : m.transposed ? transpose2d(given, m.dims[1], m.dims[0]) : given;
      feeds[`mask.${m.value}`] = new ort.Tensor('float32', data, m.dims);
    }
    return feeds;
  }

  async step(windows: Int32Array[], inputs: StepInputs = {}): Promise<TrainStepResult> {
    const { batch, seqLen } = this.options;
    const micro = this.options.microBatches ?? 1;
    this.checkWindows(windows, batch * micro);
    const started = performance.now();
    const { loss, acc, sums, penalty, sliceNorm, maskGradients, distillKl } = await this.accumulate(windows, micro, inputs);
    const step = this.steps + 1;
    const lr = learningRateAt(step, this.options);
    // Checked before the update, so a diverged step leaves the last good weights.
    if (!Number.isFinite(loss)) {
      const cause = step === 1 ? 'at the first step: the model itself gives non-finite outputs (NaN/Inf weights or a broken config)' : 'the learning rate is likely too high, or fp16 overflowed (try a lower learning rate or precision fp32)';
      throw new LabError('non-finite', `training diverged at step ${step}: the loss is ${loss}; ${cause}. The last good weights are kept`, { step, loss: String(loss) });
    }
    const gradNorm = this.host
      ? hostAdamWStep(this.host, sums, { lr, step, gradScale: 1 / micro }, { ...DEFAULT_ADAMW, ...this.options.adamw })
      : this.optimizer
        ? await this.deviceAdamW(acc, lr, step, micro)
        : 0;
    this.steps = step;
    return {
      step,
      loss,
      gradNorm,
      lr,
      tokens: batch * micro * seqLen,
      stepMs: performance.now() - started,
      ...(penalty === undefined ? {} : { penalty, sliceNorm }),
      ...(maskGradients ? { maskGradients } : {}),
      ...(distillKl === undefined ? {} : { distillKl }),
    };
  }

  /** The AdamW graph over the device state; the new state replaces the old (disposed). Returns the gradient norm. */
  private async deviceAdamW(acc: Map<string, ort.Tensor>, lr: number, step: number, micro: number): Promise<number> {
    const b1 = this.options.adamw?.beta1 ?? 0.9;
    const b2 = this.options.adamw?.beta2 ?? 0.999;
    const scalar = (v: number) => new ort.Tensor('float32', Float32Array.of(v), []);
    const feeds: Record<string, ort.Tensor> = {
      ...Object.fromEntries([...acc].map(([name, t]) => [`g.${name}`, t])),
      lr: scalar(lr),
      bias_correction1: scalar(1 - b1 ** step),
      bias_correction2: scalar(1 - b2 ** step),
      grad_scale: scalar(1 / micro),
    };
    for (const [name, t] of this.state) feeds[name] = t;
    const out = await run(this.optimizer!, feeds, 'optimizer');
    const gradNorm = (await readFloat32(out.grad_norm as ort.Tensor))[0];
    disposeGpu([...acc.values()]);
    const previous = [...this.state.values()];
    for (const p of this.params) {
      this.state.set(p.name, out[`new.${p.name}`] as ort.Tensor);
      this.state.set(`m.${p.name}`, out[`new_m.${p.name}`] as ort.Tensor);
      this.state.set(`v.${p.name}`, out[`new_v.${p.name}`] as ort.Tensor);
    }
    disposeGpu(previous);
    return gradNorm;
  }

  async weights(): Promise<Map<string, Float32Array>> {
    const out = new Map<string, Float32Array>();
    for (const p of this.params) {
      const data = await readFloat32(this.state.get(p.name)!);
      if (!p.lora) out.set(p.weight, p.transposed ? transpose2d(data, p.dims[0], p.dims[1]) : Float32Array.from(data));
      else if (p.lora.role === 'A') {
        const b = this.params.find((q) => q.lora?.role === 'B' && q.weight === p.weight)!;
        const bData = await readFloat32(this.state.get(b.name)!);
        out.set(p.weight, mergeLora(this.spec.weights.get(p.weight)!.data, p.lora.target, data, bData, p.lora.rank));
      }
    }
    return out;
  }

  async dispose(): Promise<void> {
    disposeGpu([...this.state.values()]);
    this.state.clear();
    await this.gradient.release();
    await this.optimizer?.release();
    await this.extra.teacher?.release();
    this.extra.pool?.dispose();
  }
}

function zeros(dims: number[]): ort.Tensor {
  return new ort.Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b, 1)), dims);
}

function disposeGpu(tensors: ort.Tensor[]): void {
  for (const t of tensors) if (t.location === 'gpu-buffer') t.dispose();
}

async function run(session: LabSession, feeds: Record<string, ort.Tensor>, what: string): Promise<ort.InferenceSession.OnnxValueMapType> {
  try {
    return await session.run(feeds);
  } catch (error) {
    throw new LabError('runtime', `onnxruntime ${what} run failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}
