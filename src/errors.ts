// Typed errors that cross the worker boundary as plain {code, message, details}.
// Every failure a user can cause (bad file, bad text, cancel) is a LabError with a closed code.

export type LabErrorCode =
  | 'not-a-model' // the bytes are not what the name says (e.g. random bytes named model.onnx)
  | 'unsupported-format' // a model file we recognise but cannot read (e.g. an fp8 safetensors)
  | 'truncated' // a file ends before its own header says it should
  | 'corrupt' // a header or structure that contradicts itself (offsets past the end, bad protobuf)
  | 'missing-file' // a file the model needs was not dropped (weights, config.json, external data)
  | 'unsupported-architecture' // config.json names a model_type we do not build
  | 'unsupported-op' // an ONNX op the importer cannot map to the ModelSpec
  | 'tokenizer-mismatch' // tokenizer vocabulary does not fit the model's embedding table
  | 'import-mismatch' // the import check failed: our graph and the dropped ONNX disagree (files from different models)
  | 'non-finite' // a perplexity or loss came out NaN or infinite (NaN/Inf weights, a broken config)
  | 'bad-text' // evaluation text is empty or too short for one window
  | 'bad-argument' // a parameter out of range
  | 'no-model' // an operation needs a loaded model
  | 'too-large-for-device' // a buffer over the device or wasm limits
  | 'insufficient-memory' // a job's planned memory (weights + KV + activations) is over what the runtime allows; refused before it runs
  | 'backend-unavailable' // the requested backend (e.g. cuda) cannot run on this machine
  | 'runtime' // onnxruntime failed
  | 'device-lost' // the GPU device was lost while a job ran (driver reset, device.destroy()); the next action starts a new one
  | 'cancelled' // the user cancelled the job
  | 'internal'; // a bug: anything else

export interface LabErrorData {
  code: LabErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

export class LabError extends Error implements LabErrorData {
  readonly code: LabErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: LabErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'LabError';
    this.code = code;
    this.details = details;
  }

  toData(): LabErrorData {
    return { code: this.code, message: this.message, details: this.details };
  }
}

/** Any thrown value as plain error data (for postMessage and CLI output). */
export function toLabErrorData(error: unknown): LabErrorData {
  if (error instanceof LabError) return error.toData();
  if (isLabErrorData(error)) return error;
  if (error instanceof Error && error.name === 'AbortError') {
    return { code: 'cancelled', message: 'Cancelled.', details: {} };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'internal', message, details: {} };
}

export function isLabErrorData(value: unknown): value is LabErrorData {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as LabErrorData).code === 'string' &&
    typeof (value as LabErrorData).message === 'string'
  );
}

/** Throws LabError('cancelled') when the signal has fired. Call between units of work. */
export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new LabError('cancelled', 'Cancelled.');
}
