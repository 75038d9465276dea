// Every pruning method, in the order the picker and `methods --json` show them. To add a method,
// write methods/<id>.ts and list it here. No runtime import.

import { LabError } from '../errors';
import type { MethodInfo } from './method';
import type { PruningMethod } from './method';
import { channels } from './methods/channels';
import { dress } from './methods/dress';
import { movement } from './methods/movement';
import { dropBlocks } from './methods/drop-blocks';
import { magnitude } from './methods/magnitude';
import { neuroal } from './methods/neuroal';
import { owl } from './methods/owl';
import { shortgpt } from './methods/shortgpt';
import { sleb } from './methods/sleb';
import { sparsegpt } from './methods/sparsegpt';
import { wanda } from './methods/wanda';

export const methods: readonly PruningMethod[] = [magnitude, wanda, sparsegpt, owl, neuroal, sleb, shortgpt, dropBlocks, dress, channels, movement];

export function getMethod(id: string): PruningMethod {
  const method = methods.find((m) => m.id === id);
  if (!method) throw new LabError('bad-argument', `unknown pruning method '${id}'; known: ${methods.map((m) => m.id).join(', ')}`, { methodId: id });
  return method;
}

/** Plain-data descriptions (structured-clone safe): no run function. */
export function methodInfo(): MethodInfo[] {
  return methods.map((m) => ({
    id: m.id,
    label: m.label,
    kind: m.kind,
    summary: m.summary,
    paper: { ...m.paper },
    params: m.params.map((p) => (p.options ? { ...p, options: p.options.map((o) => ({ ...o })) } : { ...p })),
    ...(m.ratioParam ? { ratioParam: { ...m.ratioParam } } : {}),
    needsCalibration: m.needsCalibration,
  }));
}
