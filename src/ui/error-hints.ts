// Plain-language hints for each LabError code, shown above the error's own message.

import type { LabErrorCode } from '../errors';

export const errorHints: Record<LabErrorCode, string> = {
  'not-a-model': 'A file is not what its name says.',
  'unsupported-format': 'The lab recognises this file but cannot read this variant of it.',
  truncated: 'A file ends early: it may be a partial download.',
  corrupt: 'A file contradicts its own header: it is damaged.',
  'missing-file': 'The model needs a file that was not dropped. Drop the whole model folder.',
  'unsupported-architecture': 'This kind of model is not supported yet.',
  'unsupported-op': 'The ONNX graph uses an operation the lab cannot import.',
  'tokenizer-mismatch': 'The tokenizer does not belong to this model.',
  'import-mismatch': 'The dropped files do not describe one model: the rebuilt graph and the ONNX file disagree. The previous model stays loaded; "Load anyway" loads it with every result flagged.',
  'non-finite': 'The model produced NaN or infinite numbers: its weights or config are broken.',
  'bad-text': 'The text cannot be evaluated: it is empty or shorter than one window.',
  'bad-argument': 'A setting is out of range.',
  'no-model': 'Load a model first.',
  'too-large-for-device': 'The model is too large for this device or browser.',
  'insufficient-memory': 'This job would not fit in memory here, so it was not started; the message says what it needs and what would fit.',
  'backend-unavailable': 'That backend cannot run here; choose another one.',
  runtime: 'The inference runtime failed.',
  'device-lost': 'The GPU stopped (a driver reset or the browser reclaimed it). Your finished runs are safe; run the job again and the lab restarts the GPU.',
  cancelled: 'The job was cancelled.',
  internal: 'Something went wrong inside the lab (a bug).',
};
