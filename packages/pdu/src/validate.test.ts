import { describe, expect, it } from 'vitest';
import { isLenientUid, isValidAeTitle, isValidUid } from './validate.js';

describe('isValidAeTitle (PS3.8 9.3.2, PS3.5 6.2 AE)', () => {
  it.each([
    ['A'],
    ['STORESCP'],
    ['ANY-SCP'],
    ['1234567890123456'],
    ['WITH SPACE'],
    [' LEADING'],
    ['TRAILING '],
    ['~!@#$%^&*()_+{}'],
  ])('accepts %j', (title) => {
    expect(isValidAeTitle(title)).toBe(true);
  });

  it.each([
    ['', 'empty'],
    ['12345678901234567', '17 characters'],
    ['                ', 'only spaces'],
    [' ', 'a single space'],
    ['BACK\\SLASH', 'backslash'],
    ['TAB\tHERE', 'control character'],
    ['NUL\0', 'NUL'],
    ['DEL\x7f', 'DEL'],
    ['CAFÉ', 'outside ISO 646'],
    ['ÅE', 'outside ISO 646'],
  ])('rejects %j (%s)', (title) => {
    expect(isValidAeTitle(title)).toBe(false);
  });

  it('rejects values that are not strings', () => {
    expect(isValidAeTitle(undefined as unknown as string)).toBe(false);
    expect(isValidAeTitle(42 as unknown as string)).toBe(false);
  });
});

describe('isValidUid (PS3.5 9.1, strict)', () => {
  it.each([['1.2.840.10008.1.2'], ['0'], ['1.0.3'], ['2.25.302741290587436125698742015487123560'], ['1'.repeat(64)]])(
    'accepts %j',
    (uid) => {
      expect(isValidUid(uid)).toBe(true);
    },
  );

  it.each([
    ['', 'empty'],
    ['1'.repeat(65), '65 characters'],
    ['1.02.3', 'leading zero in a component'],
    ['00', 'leading zero'],
    ['1..2', 'empty component'],
    ['.1.2', 'leading dot'],
    ['1.2.', 'trailing dot'],
    ['1.2.3\0', 'NUL padding'],
    ['1.2.3 ', 'space padding'],
    ['1.2.a', 'letter'],
    ['1,2', 'comma'],
  ])('rejects %j (%s)', (uid) => {
    expect(isValidUid(uid)).toBe(false);
  });
});

describe('isLenientUid (what the codec enforces)', () => {
  it.each([['1.2.840.10008.1.2'], ['1.02.3'], ['1..2'], ['.'], ['1.2.'], ['9'.repeat(64)]])('accepts %j', (uid) => {
    expect(isLenientUid(uid)).toBe(true);
  });

  it.each([[''], ['9'.repeat(65)], ['1.2.3\0'], ['1.2.3 '], ['1.2.x'], ['1-2'], ['１.２']])('rejects %j', (uid) => {
    expect(isLenientUid(uid)).toBe(false);
  });
});
