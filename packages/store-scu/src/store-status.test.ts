import { describe, expect, it } from 'vitest';
import { describeStoreStatus, isTransientStatus } from './store-status.js';

describe('describeStoreStatus', () => {
  it('names and classifies the C-STORE statuses of PS3.4 B.2.3', () => {
    expect(describeStoreStatus(0)).toEqual({ code: 0, category: 'success', name: 'Success' });
    expect(describeStoreStatus(0xb000, 'coerced')).toEqual({
      code: 0xb000,
      category: 'warning',
      name: 'Warning: Coercion of Data Elements',
      errorComment: 'coerced',
    });
    expect(describeStoreStatus(0xb123).category).toBe('warning');
    expect(describeStoreStatus(0xa702)).toMatchObject({ category: 'failure', name: 'Refused: Out of Resources' });
    expect(describeStoreStatus(0xa900).name).toBe('Error: Data Set does not match SOP Class');
    expect(describeStoreStatus(0xc001).name).toBe('Error: Cannot understand');
    expect(describeStoreStatus(0x0122).name).toBe('Refused: SOP Class not supported');
    expect(describeStoreStatus(0xfe00).category).toBe('cancel');
    expect(describeStoreStatus(0xd123)).toMatchObject({ category: 'failure', name: 'Failure: unknown status 0xD123' });
  });
  it('marks Out of Resources as transient', () => {
    expect(isTransientStatus(0xa700)).toBe(true);
    expect(isTransientStatus(0xa7ff)).toBe(true);
    expect(isTransientStatus(0xa900)).toBe(false);
    expect(isTransientStatus(0xc000)).toBe(false);
  });
});
