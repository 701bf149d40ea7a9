import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isValidUid, sanitizePathComponent, stripDicomPadding, uidForPath } from './sanitize.js';

const RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)$/i;

/** Everything a safe component must satisfy, checked independently of the implementation. */
function assertSafe(component: string, maxBytes = 200): void {
  expect(component.length).toBeGreaterThan(0);
  expect(component).not.toBe('.');
  expect(component).not.toBe('..');
  expect(component.startsWith('.')).toBe(false);
  expect(/[/\\:*?"<>|\u0000-\u001f\u007f-\u009f]/.test(component)).toBe(false);
  expect(/[.\s]$/u.test(component)).toBe(false);
  expect(/^\s/u.test(component)).toBe(false);
  expect(RESERVED.test(component.split('.')[0]?.trimEnd() ?? '')).toBe(false);
  expect(Buffer.byteLength(component, 'utf8')).toBeLessThanOrEqual(maxBytes);
  // Round-trips through UTF-8 unchanged: no lone surrogates.
  expect(Buffer.from(component, 'utf8').toString('utf8')).toBe(component);
}

describe('sanitizePathComponent', () => {
  it.each([
    ['..', '_'],
    ['.', '_'],
    ['...', '_'],
    ['', '_'],
    ['   ', '_'],
    ['../../etc/passwd', '_._.._etc_passwd'],
    ['..\\..\\windows\\system32', '_._.._windows_system32'],
    ['/etc/passwd', '_etc_passwd'],
    ['C:\\Windows', 'C__Windows'],
    ['C:', 'C_'],
    ['\\\\server\\share', '__server_share'],
    ['a/b', 'a_b'],
    ['nul\u0000byte', 'nul_byte'],
    ['tab\there\nnewline\r', 'tab_here_newline_'],
    ['bell\u0007\u007f\u0085', 'bell___'],
    ['.netdicom-tmp', '_netdicom-tmp'],
    ['.hidden', '_hidden'],
    ['trailing dots...', 'trailing dots'],
    ['trailing space   ', 'trailing space'],
    ['CON', '_CON'],
    ['con.dcm', '_con.dcm'],
    ['Aux', '_Aux'],
    ['NUL.txt', '_NUL.txt'],
    ['COM1', '_COM1'],
    ['lpt9.dcm', '_lpt9.dcm'],
    ['COM¹', '_COM¹'],
    ['CONOUT$', '_CONOUT$'],
    ['CONSOLE', 'CONSOLE'],
    ['Doe^John', 'Doe^John'],
    ['山田^太郎', '山田^太郎'],
    ['a\u202Egnp.exe', 'a_gnp.exe'],
    ['zero\u200Bwidth', 'zero_width'],
    ['1.2.840.10008.5.1.4.1.1.2.dcm', '1.2.840.10008.5.1.4.1.1.2.dcm'],
    ['a*b?c"d<e>f|g', 'a_b_c_d_e_f_g'],
  ])('%j -> %j', (input, expected) => {
    const out = sanitizePathComponent(input);
    expect(out).toBe(expected);
    assertSafe(out);
  });

  it('replaces lone surrogates', () => {
    const out = sanitizePathComponent('a\ud800b\udc00c');
    expect(out).toBe('a_b_c');
    assertSafe(out);
  });

  it('truncates overlong values with a hash, keeping the extension, within the byte budget', () => {
    const long = 'A'.repeat(1000);
    const out = sanitizePathComponent(`${long}.dcm`);
    expect(Buffer.byteLength(out)).toBeLessThanOrEqual(200);
    expect(out).toMatch(/^A+~[0-9a-f]{16}\.dcm$/);
    // Distinct long values stay distinct even when their kept prefix is equal.
    expect(sanitizePathComponent(`${long}B.dcm`)).not.toBe(out);
    // Multi-byte characters are never cut in half.
    const cjk = sanitizePathComponent('山'.repeat(500), { maxBytes: 64 });
    assertSafe(cjk, 64);
    expect(cjk).toMatch(/^山+~[0-9a-f]{16}$/);
  });

  it('holds the safety properties and is idempotent for arbitrary strings', () => {
    const hostile = fc.constantFrom('..', '.', '/', '\\', ':', '\u0000', '\n', ' ', 'CON', 'nul', 'COM1', '.dcm', '山');
    const input = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 600 }),
      fc.array(hostile, { maxLength: 40 }).map((a) => a.join('')),
      fc.string({ unit: 'grapheme', maxLength: 400 }),
    );
    fc.assert(
      fc.property(input, fc.integer({ min: 40, max: 240 }), (raw, maxBytes) => {
        const out = sanitizePathComponent(raw, { maxBytes });
        assertSafe(out, maxBytes);
        expect(sanitizePathComponent(out, { maxBytes })).toBe(out);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('isValidUid / uidForPath', () => {
  it.each([
    ['1.2.840.10008.5.1.4.1.1.2', true],
    ['0', true],
    ['1.0.3', true],
    [`1.${'2'.repeat(62)}`, true],
    [`1.${'2'.repeat(63)}`, false],
    ['', false],
    ['1..2', false],
    ['.1.2', false],
    ['1.2.', false],
    ['1.02', false],
    ['1.2a', false],
    ['1.2 ', false],
    ['../1.2', false],
  ])('isValidUid(%j) is %s', (uid, valid) => {
    expect(isValidUid(uid)).toBe(valid);
  });

  it('uses valid UIDs as they are, stripped of padding, and never uses an invalid one raw', () => {
    expect(uidForPath('1.2.3\u0000')).toBe('1.2.3');
    expect(uidForPath('1.2.3 ')).toBe('1.2.3');
    expect(uidForPath(undefined)).toBeUndefined();
    expect(uidForPath('\u0000')).toBeUndefined();
    const bad = uidForPath('../../etc/passwd');
    expect(bad).toMatch(/^INVALID-UID-[0-9a-f]{16}$/);
    expect(uidForPath('../../etc/passwd')).toBe(bad);
    expect(uidForPath('1.02')).not.toBe(bad);
    expect(uidForPath('1.02')).toMatch(/^INVALID-UID-/);
  });

  it('stripDicomPadding removes trailing NUL/space and leading spaces only', () => {
    expect(stripDicomPadding('  ab c \u0000')).toBe('ab c');
    expect(stripDicomPadding('\u0000a')).toBe('\u0000a');
  });
});
