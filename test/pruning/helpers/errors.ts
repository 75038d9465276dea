// The error a call throws or a promise rejects with, so a test can check code, message and details
// together (and fail when nothing is thrown).
export interface ThrownError {
  code?: string;
  message: string;
  details?: Record<string, unknown>;
}

/** The value f throws (fails when it returns). */
export function thrown(f: () => unknown): ThrownError {
  try {
    f();
  } catch (e) {
    return e as ThrownError;
  }
  throw new Error('expected a throw');
}

/** The rejection of a promise (fails when it resolves). */
export async function rejection(p: Promise<unknown>): Promise<ThrownError> {
  try {
    await p;
  } catch (e) {
    return e as ThrownError;
  }
  throw new Error('expected a rejection');
}
