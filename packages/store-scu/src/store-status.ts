/**
 * C-STORE response statuses, PS3.4 Annex B.2.3 and PS3.7 Annex C: category, name, and whether a retry can help.
 */

/** A C-STORE status as store-scu reports it. */
export interface StoreStatus {
  /** The Status (0000,0900) value. */
  readonly code: number;
  readonly category: 'success' | 'warning' | 'failure' | 'cancel';
  /** Name from PS3.4 Table B.2-1 / PS3.7 Annex C, e.g. `Refused: Out of Resources`. */
  readonly name: string;
  /** Error Comment (0000,0902), when the peer sent one. */
  readonly errorComment?: string;
}

const NAMES: Record<number, string> = {
  0: 'Success',
  45056: 'Warning: Coercion of Data Elements',
  45062: 'Warning: Elements Discarded',
  45063: 'Warning: Data Set does not match SOP Class',
  1: 'Warning: Requested optional Attributes are not supported',
  263: 'Warning: Attribute List Error',
  278: 'Warning: Attribute Value Out of Range',
  272: 'Failure: Processing failure',
  279: 'Failure: Invalid SOP Instance',
  290: 'Refused: SOP Class not Supported',
  292: 'Refused: Not Authorized',
  528: 'Failure: Duplicate invocation',
  529: 'Failure: Unrecognized operation',
  530: 'Failure: Mistyped argument',
  531: 'Failure: Resource limitation',
  65024: 'Cancel',
};

/** Describes a C-STORE status code (PS3.4 B.2.3, PS3.7 C). */
export function describeStoreStatus(code: number, errorComment?: string): StoreStatus {
  const comment = errorComment ? { errorComment } : {};
  const hex = `0x${code.toString(16).toUpperCase().padStart(4, '0')}`;
  const named = NAMES[code];
  if (code === 0x0000) return { code, category: 'success', name: 'Success', ...comment };
  if (code === 0xfe00) return { code, category: 'cancel', name: 'Cancel', ...comment };
  if (named?.startsWith('Warning') || (code >= 0xb000 && code <= 0xbfff)) {
    return { code, category: 'warning', name: named ?? `Warning ${hex}`, ...comment };
  }
  let name = named;
  if (!name && (code & 0xff00) === 0xa700) name = 'Refused: Out of Resources';
  if (!name && (code & 0xff00) === 0xa900) name = 'Error: Data Set does not match SOP Class';
  if (!name && code >= 0xc000 && code <= 0xcfff) name = 'Error: Cannot understand';
  return { code, category: 'failure', name: name ?? `Failure ${hex}`, ...comment };
}

/** Whether a failure status says the instance was not stored for a passing reason (Out of Resources, 0xA7xx). */
export function isTransientStatus(code: number): boolean {
  return (code & 0xff00) === 0xa700 || code === 0x0213;
}
