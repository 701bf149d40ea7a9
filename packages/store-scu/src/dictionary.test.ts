import { describe, expect, it } from 'vitest';
import { dictionaryVr } from './dictionary.js';

describe('dictionaryVr', () => {
  it('knows standard tags', () => {
    expect(dictionaryVr(0x00080016)).toBe('UI');
    expect(dictionaryVr(0x00100010)).toBe('PN');
    expect(dictionaryVr(0x00280010)).toBe('US');
    expect(dictionaryVr(0x00081140)).toBe('SQ');
    expect(dictionaryVr(0x00280106)).toBe('xs');
    expect(dictionaryVr(0x7fe00010)).toBe('px');
  });
  it('applies the rules for group lengths, private creators and repeating groups', () => {
    expect(dictionaryVr(0x00080000)).toBe('UL');
    expect(dictionaryVr(0x00090010)).toBe('LO');
    expect(dictionaryVr(0x00091001)).toBeUndefined();
    expect(dictionaryVr(0x60020010)).toBe('US');
    expect(dictionaryVr(0x60023000)).toBe('ox');
    expect(dictionaryVr(0x60013000)).toBeUndefined();
    expect(dictionaryVr(0x00203105)).toBe('CS');
    expect(dictionaryVr(0x00089999)).toBeUndefined();
  });
});
