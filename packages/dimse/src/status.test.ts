import { describe, expect, it } from 'vitest';
import { describeStatus, Status, statusCategory } from './status.js';

describe('statusCategory (PS3.7 Annex C)', () => {
  it('sorts codes into the five categories', () => {
    expect(statusCategory(0x0000)).toBe('success');
    expect(statusCategory(0xff00)).toBe('pending');
    expect(statusCategory(0xff01)).toBe('pending');
    expect(statusCategory(0xfe00)).toBe('cancel');
    for (const code of [0x0001, 0x0107, 0x0116, 0xb000, 0xb006, 0xb007, 0xbfff]) {
      expect(statusCategory(code)).toBe('warning');
    }
    for (const code of [0x0110, 0x0122, 0x0211, 0x0212, 0xa700, 0xa7ff, 0xa900, 0xa9ab, 0xc000, 0xcfff, 0x0124]) {
      expect(statusCategory(code)).toBe('failure');
    }
  });

  it('every named constant has a category consistent with its name', () => {
    for (const [name, code] of Object.entries(Status)) {
      const { category } = describeStatus(code);
      if (name === 'Success') expect(category).toBe('success');
      else if (name.startsWith('Pending')) expect(category).toBe('pending');
      else if (name === 'Cancel') expect(category).toBe('cancel');
      else if (
        ['AttributesNotSupported', 'AttributeListError', 'AttributeValueOutOfRange', 'CoercionOfDataElements'].includes(
          name,
        ) ||
        name.endsWith('Warning') ||
        name === 'ElementsDiscarded'
      )
        expect(category).toBe('warning');
      else expect(category).toBe('failure');
    }
  });
});

describe('describeStatus', () => {
  it('names the storage statuses of PS3.4 B.2.3, ranges included', () => {
    expect(describeStatus(0xa7ff, 0x8001)).toEqual({
      code: 0xa7ff,
      category: 'failure',
      name: 'Refused: Out of Resources',
    });
    expect(describeStatus(0xa912, 0x0001).name).toBe('Error: Data Set does not match SOP Class');
    expect(describeStatus(0xc123, 0x8001).name).toBe('Error: Cannot understand');
    expect(describeStatus(0xb000, 0x8001).name).toBe('Warning: Coercion of Data Elements');
    expect(describeStatus(0xb006).name).toBe('Warning: Elements Discarded');
    expect(describeStatus(0xb007).name).toBe('Warning: Data Set does not match SOP Class');
  });

  it('names general statuses whatever the command', () => {
    expect(describeStatus(0x0000, 0x8030).name).toBe('Success');
    expect(describeStatus(0x0122, 0x8001).name).toBe('Refused: SOP Class not supported');
    expect(describeStatus(0x0211).name).toBe('Failure: Unrecognized operation');
    expect(describeStatus(0x0212).name).toBe('Failure: Mistyped argument');
    expect(describeStatus(0x0210).name).toBe('Failure: Duplicate invocation');
    expect(describeStatus(0xfe00).category).toBe('cancel');
  });

  it('gives query/retrieve meanings when the command says so (PS3.4 C.4)', () => {
    expect(describeStatus(0xc001, 0x8020).name).toBe('Failed: Unable to process');
    expect(describeStatus(0xa900, 0x0020).name).toBe('Failed: Identifier does not match SOP Class');
    expect(describeStatus(0xa801, 0x8021).name).toBe('Refused: Move Destination unknown');
    expect(describeStatus(0xb000, 0x8010).name).toContain('Sub-operations Complete');
    expect(describeStatus(0xa702, 0x0021).name).toContain('Unable to perform sub-operations');
  });

  it('still categorises codes it cannot name', () => {
    expect(describeStatus(0x0999)).toEqual({
      code: 0x0999,
      category: 'failure',
      name: 'Failure: unknown status 0x0999',
    });
    expect(describeStatus(0xb123, 0x8110)).toEqual({
      code: 0xb123,
      category: 'warning',
      name: 'Warning: unknown status 0xB123',
    });
  });
});
