// Training step cost against the forward pass alone, in one process, alternating: per model × mode
// (full fine-tuning of the block weights, LoRA rank 8 on every block linear), the median wall time of
// a train step (forward + backward + AdamW, runtime/trainer.ts) and of the forward alone on the same
// windows (Engine.scoreWindows on the same plain-weight graph, fold off), their ratio, tokens/s, and
// the process's peak RSS after the model (getrusage; monotonic, so models run smallest first).
//   npx tsx bench/train-step.ts [--models stories260k,smollm2-135m-random] [--backend cpu|wasm]
//       [--batch 4] [--seq-len 128] [--runs 5]
// Node only. A GPU backend is measured where the machine has one (--backend cuda).

import { loadModelFromFiles } from '../src/model/load-model';
import { blockLinearNames } from '../src/model/model-spec';
import { createEngine } from '../src/runtime/engine';
import { useNativeOrt } from '../src/runtime/native-ort';
import { createTrainer, type TrainerOptions } from '../src/runtime/trainer';
import type { Backend } from '../src/runtime/ort';
import { ensureModelFolders, intFlag, log, machineInfo, modelIds, parseFlags, printResult, round, stat, type ModelId } from './common';

const flags = parseFlags();
const backend = (flags.get('backend') ?? 'cpu') as Backend;
const batch = intFlag(flags, 'batch', 4);
const seqLen = intFlag(flags, 'seq-len', 128);
const runs = intFlag(flags, 'runs', 5);
const models = (flags.get('models') ?? modelIds.join(',')).split(',') as ModelId[];
if (backend !== 'wasm') useNativeOrt();

const rows: Record<string, unknown>[] = [];
for (const id of models) {
  const folders = await ensureModelFolders(id, log);
  const loaded = await loadModelFromFiles(await folders.oursFiles());
  const spec = loaded.spec;
  const V = spec.config.vocabSize;
  // Deterministic pseudo-random token ids (the random model has no meaningful text anyway).
  const windows = (k: number) => Array.from({ length: batch }, (_, r) => Int32Array.from({ length: seqLen }, (_, t) => (k * 7919 + r * 104729 + t * 31) % V));
  const linears = new Set(spec.layers.flatMap((_, i) => blockLinearNames(spec, i)));
  const modes: [string, Partial<TrainerOptions>][] = [
    ['full', { trainable: (w) => /layers\.\d+\./.test(w) }],
    ['lora-r8', { trainable: () => false, lora: { rank: 8, alpha: 16, targets: (w) => linears.has(w) } }],
  ];
  for (const [mode, extra] of modes) {
    log(`${id} ${mode}: ${batch} × ${seqLen} tokens, ${backend}`);
    const engine = await createEngine(spec, { backend, fold: false, maxBatchTokens: batch * seqLen });
    const trainer = await createTrainer(spec, { backend, trainable: () => false, batch, seqLen, lr: 1e-4, totalSteps: runs + 1, schedule: 'constant', ...extra });
    await engine.scoreWindows(windows(0)); // warm-up both
    await trainer.step(windows(0));
    const [fwd, step]: number[][] = [[], []];
    for (let k = 1; k <= runs; k++) {
      const order = k % 2 ? ['fwd', 'step'] : ['step', 'fwd'];
      for (const which of order) {
        const started = performance.now();
        if (which === 'fwd') await engine.scoreWindows(windows(k));
        else await trainer.step(windows(k));
        (which === 'fwd' ? fwd : step).push(performance.now() - started);
      }
    }
    const trained = trainer.params.reduce((n, p) => n + p.dims.reduce((a, b) => a * b, 1), 0);
    await trainer.dispose();
    await engine.dispose();
    const [f, s] = [stat(fwd), stat(step)];
    rows.push({
      model: id,
      mode,
      parameters: [...spec.weights.values()].reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0),
      trainedValues: trained,
      tokensPerStep: batch * seqLen,
      forwardMs: round(f.median, 1),
      trainStepMs: round(s.median, 1),
      stepOverForward: round(s.median / f.median, 2),
      trainTokensPerS: round((batch * seqLen) / (s.median / 1000), 0),
      peakRssMiB: round((process.resourceUsage().maxRSS * 1024) / 2 ** 20, 0),
    });
    log(JSON.stringify(rows[rows.length - 1]));
  }
}
printResult('train-step', { machine: { ...machineInfo(1), backend, gpu: 'none (onnxruntime-node cpu / onnxruntime-web wasm)' }, batch, seqLen, runs, rows });
