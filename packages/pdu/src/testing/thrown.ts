/** Test helper: the PduError a call throws (the test fails if it throws nothing). Test code only. */
import type { PduError } from '../errors.js';

export function thrown(fn: () => unknown): PduError {
  try {
    fn();
  } catch (error) {
    return error as PduError;
  }
  throw new Error('expected an error');
}
