/**
 * C-STORE response statuses, PS3.4 Annex B.2.3 and PS3.7 Annex C: category, name, and whether a retry can help.
 */

import { describeStatus } from '@netdicom/dimse';

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

/** C-STORE's command field (PS3.7 E.1): the context in which statuses are named. */
const C_STORE = 0x0001;

/**
 * Describes a C-STORE status code (PS3.4 B.2.3, PS3.7 C) with @netdicom/dimse's one status table. A pending status
 * makes no sense in a C-STORE response and counts as a failure.
 */
export function describeStoreStatus(code: number, errorComment?: string): StoreStatus {
  const { category, name } = describeStatus(code, C_STORE);
  return {
    code,
    category: category === 'pending' ? 'failure' : category,
    name,
    ...(errorComment ? { errorComment } : {}),
  };
}

/** Whether a failure status says the instance was not stored for a passing reason (Out of Resources, 0xA7xx). */
export function isTransientStatus(code: number): boolean {
  return (code & 0xff00) === 0xa700 || code === 0x0213;
}
