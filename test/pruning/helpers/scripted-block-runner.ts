// A CalibrationRunner double for the block-removal methods (SLEB, ShortGPT, drop-blocks): gatedNll is
// a caller-given function of the gate pattern, blockInfluence returns caller-given scores. It keeps
// counters like the real runner (one forward pass per gated NLL or influence pass, a fixed number of
// ms per pass, one session per spec on its first use) and records every call, so tests can check the
// method's bookkeeping against the rules without a model. embed/runBlock are not modelled.
import type { ModelSpec } from '../../../src/model/model-spec';
import type { CalibrationRunner } from '../../../src/pruning/calibration';

export interface ScriptedBlockRunner extends CalibrationRunner {
  sessionsCreated: number;
  forwardPasses: number;
  forwardMs: number;
  /** The gates of every gatedNll call, in order. */
  gateCalls: number[][];
  influenceCalls: number;
  /** Runs before each gatedNll/blockInfluence returns (e.g. to abort a controller mid-run). */
  onCall?: (call: number) => void;
}

export interface ScriptedOptions {
  nll?: (gates: number[]) => number;
  influence?: number[];
  /** Counter values before the method starts (plan stats must be deltas). */
  start?: { sessionsCreated?: number; forwardPasses?: number; forwardMs?: number };
  /** Simulated ms per forward pass. */
  msPerPass?: number;
}

export function scriptedBlockRunner(o: ScriptedOptions = {}): ScriptedBlockRunner {
  const sessions = new Set<ModelSpec>();
  let calls = 0;
  const pass = (r: ScriptedBlockRunner, spec: ModelSpec) => {
    if (!sessions.has(spec)) {
      sessions.add(spec);
      r.sessionsCreated++;
    }
    r.forwardPasses++;
    r.forwardMs += o.msPerPass ?? 0;
    r.onCall?.(++calls);
  };
  const runner: ScriptedBlockRunner = {
    sessionsCreated: o.start?.sessionsCreated ?? 0,
    forwardPasses: o.start?.forwardPasses ?? 0,
    forwardMs: o.start?.forwardMs ?? 0,
    gateCalls: [],
    influenceCalls: 0,
    async embed() {
      throw new Error('scripted block runner: embed is not modelled');
    },
    async runBlock() {
      throw new Error('scripted block runner: runBlock is not modelled');
    },
    async gatedNll(spec, _windows, gates) {
      runner.gateCalls.push(gates.slice());
      pass(runner, spec);
      if (!o.nll) throw new Error('scripted block runner: no nll function');
      return o.nll(gates);
    },
    async blockInfluence(spec) {
      runner.influenceCalls++;
      pass(runner, spec);
      if (!o.influence) throw new Error('scripted block runner: no influence scores');
      return o.influence.slice();
    },
    async dispose() {},
  };
  return runner;
}

/** A spec with L blocks and no weights: enough for methods that only count blocks. */
export function blocksOnlySpec(L: number): ModelSpec {
  return { family: 'llama', layers: Array.from({ length: L }, () => ({})), weights: new Map() } as unknown as ModelSpec;
}

/** A signal that is already aborted. */
export function abortedSignal(): AbortSignal {
  const controller = new AbortController();
  controller.abort();
  return controller.signal;
}

/** A gated NLL of base + Σ cost[block] over the gated-off blocks. */
export function costNll(cost: number[], base = 0): (gates: number[]) => number {
  return (gates) => gates.reduce((s, on, i) => s + (on ? 0 : cost[i]), base);
}
