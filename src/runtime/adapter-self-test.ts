// The adapter's numeric self-test: small graphs (a MatMul, a scaled softmax over its rows, and both
// chained with a residual and an RMS-style normalisation, the shape of a block) run on the candidate
// backend and on WASM, the reference; the largest difference decides. Some adapters compute wrong values
// (ANGLE/GLES adapters advertising shader-f16, other browsers' WebGPU): the lab then falls back to WASM.
// `fault` perturbs the candidate's outputs by that relative amount: the test hook that proves a wrong
// adapter is caught (LabOptions.adapterFault, the e2e's ?adapterFault=).

import { GraphBuilder } from '../graph/graph-builder';
import { TensorType } from '../graph/onnx-writer';
import { createSession, float32Tensor, readFloat32, type Backend } from './ort';

export interface SelfTestCheck {
  name: string;
  maxAbsDiff: number;
  /** Largest |reference| value, so the difference can be read relative to the scale. */
  scale: number;
  tolerance: number;
  passed: boolean;
}

export interface AdapterSelfTest {
  backend: Backend;
  reference: 'wasm';
  passed: boolean;
  checks: SelfTestCheck[];
  elapsedMs: number;
  /** One line for the UI when it failed (which check, by how much), else null. */
  failure: string | null;
}

const ROWS = 16;
const INNER = 64;
const COLS = 48;
/** fp32 on both sides; WebGPU's MatMul sums in another order (≈1e-6 here), far below a broken kernel's error. */
const TOLERANCE = 1e-3;

/** Deterministic values in [-1, 1) (a fixed-seed LCG), so every run tests the same numbers. */
function values(count: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** x[16×64] · W[64×48] → matmul; softmax(matmul / 8) → softmax; a block-shaped chain → block. */
function selfTestGraph(): Uint8Array {
  const g = new GraphBuilder('adapter-self-test');
  const x = g.input('x', TensorType.float, [ROWS, INNER]);
  const w = g.floatInit('w', [INNER, COLS], values(INNER * COLS, 7));
  const back = g.floatInit('w_back', [COLS, INNER], values(COLS * INNER, 11));
  const matmul = g.op('MatMul', [x, w]);
  const softmax = g.op('Softmax', [g.op('Mul', [matmul, g.scalar(0.125)])], { axis: -1 });
  // block: x + (softmax · W_back) / rms(…): MatMul, Add, Mul, ReduceMean, Sqrt, Div in one chain.
  const mixed = g.op('Add', [x, g.op('MatMul', [softmax, back])]);
  const meanSquare = g.op('ReduceMean', [g.op('Mul', [mixed, mixed])], { axes: [-1], keepdims: 1 });
  const block = g.op('Div', [mixed, g.op('Sqrt', [g.op('Add', [meanSquare, g.scalar(1e-5)])])]);
  g.output(matmul, 'matmul', TensorType.float, [ROWS, COLS]);
  g.output(softmax, 'softmax', TensorType.float, [ROWS, COLS]);
  g.output(block, 'block', TensorType.float, [ROWS, INNER]);
  return g.toBytes();
}

async function run(model: Uint8Array, backend: Backend, input: Float32Array): Promise<Record<string, Float32Array>> {
  const session = await createSession(model, { backend });
  try {
    const outputs = await session.run({ x: float32Tensor(input, [ROWS, INNER]) });
    const read: Record<string, Float32Array> = {};
    for (const name of session.outputNames) read[name] = await readFloat32(outputs[name]);
    return read;
  } finally {
    await session.release();
  }
}

export function compareOutputs(name: string, candidate: Float32Array, reference: Float32Array, tolerance = TOLERANCE): SelfTestCheck {
  let maxAbsDiff = candidate.length === reference.length ? 0 : Number.POSITIVE_INFINITY;
  let scale = 0;
  for (let i = 0; i < reference.length; i++) {
    const diff = Math.abs(candidate[i] - reference[i]);
    // NaN never compares greater: count it as infinitely wrong.
    maxAbsDiff = Number.isNaN(diff) ? Number.POSITIVE_INFINITY : Math.max(maxAbsDiff, diff);
    scale = Math.max(scale, Math.abs(reference[i]));
  }
  const limit = tolerance * Math.max(1, scale);
  return { name, maxAbsDiff, scale, tolerance: limit, passed: maxAbsDiff <= limit };
}

/** Describes the first failed check in one line, or null when all passed. */
export function selfTestFailure(checks: SelfTestCheck[]): string | null {
  const failed = checks.find((c) => !c.passed);
  if (!failed) return null;
  return `its ${failed.name} result differs from WASM by ${failed.maxAbsDiff.toPrecision(2)} (allowed ${failed.tolerance.toPrecision(2)})`;
}

/** Perturbs every value by the relative `fault` (alternating sign), as a wrong kernel would. */
export function perturb(data: Float32Array, fault: number): Float32Array {
  return data.map((v, i) => v * (1 + (i % 2 === 0 ? fault : -fault)) + (i % 2 === 0 ? fault : -fault));
}

/** Runs the self-test graphs on `backend` and on WASM and compares every output. */
export async function runAdapterSelfTest(backend: Backend, options: { fault?: number } = {}): Promise<AdapterSelfTest> {
  const started = performance.now();
  const model = selfTestGraph();
  const input = values(ROWS * INNER, 3);
  const reference = await run(model, 'wasm', input);
  const candidate = await run(model, backend, input);
  const checks = Object.keys(reference).map((name) => {
    const got = options.fault ? perturb(candidate[name], options.fault) : candidate[name];
    return compareOutputs(name, got, reference[name]);
  });
  return { backend, reference: 'wasm', passed: checks.every((c) => c.passed), checks, elapsedMs: performance.now() - started, failure: selfTestFailure(checks) };
}
