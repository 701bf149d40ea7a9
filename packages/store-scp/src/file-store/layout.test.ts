import { describe, expect, it } from 'vitest';
import { FileStoreConfigError } from '../errors.js';
import { compileLayout, NAMED_LAYOUTS } from './layout.js';

const values = {
  PatientID: 'PID-1 ',
  PatientName: 'Doe^Jane',
  StudyInstanceUID: '1.2.3',
  SeriesInstanceUID: '1.2.3.4\u0000',
  SOPInstanceUID: '1.2.3.4.5',
  SOPClassUID: '1.2.840.10008.5.1.4.1.1.2',
  Modality: 'CT',
  StudyDate: '20240229',
};

describe('compileLayout', () => {
  it('renders the named layouts', () => {
    expect(compileLayout('flat').render(values)).toEqual(['1.2.3.4.5.dcm']);
    expect(compileLayout('study').render(values)).toEqual(['1.2.3', '1.2.3.4', '1.2.3.4.5.dcm']);
    expect(compileLayout('patient').render(values)).toEqual(['PID-1', '1.2.3', '1.2.3.4', '1.2.3.4.5.dcm']);
    expect(compileLayout('patient').template).toBe(NAMED_LAYOUTS.patient);
  });

  it('renders a template with literal text, several placeholders per level and escaped braces', () => {
    const layout = compileLayout(
      '{PatientID}/{StudyDate}_{StudyInstanceUID}/{Modality}_{SeriesInstanceUID}/{{x}}{SOPInstanceUID}.dcm',
    );
    expect(layout.render(values)).toEqual(['PID-1', '20240229_1.2.3', 'CT_1.2.3.4', '{x}1.2.3.4.5.dcm']);
  });

  it('uses UNKNOWN (or the configured value) for missing and empty attributes', () => {
    const layout = compileLayout('{PatientID}/{StudyInstanceUID}/{Modality}/{SOPInstanceUID}.dcm');
    expect(layout.render({ SOPInstanceUID: '1.2', PatientID: '   ', Modality: '' })).toEqual([
      'UNKNOWN',
      'UNKNOWN',
      'UNKNOWN',
      '1.2.dcm',
    ]);
    const custom = compileLayout('patient', { missingValue: 'none' });
    expect(custom.render({ SOPInstanceUID: '1.2' })).toEqual(['none', 'none', 'none', '1.2.dcm']);
  });

  it('never lets a value add, climb or escape a directory level', () => {
    const layout = compileLayout('patient');
    const hostile = {
      PatientID: '../../../../etc',
      StudyInstanceUID: '/absolute/path',
      SeriesInstanceUID: '..\\..\\x',
      SOPInstanceUID: '..',
    };
    const out = layout.render(hostile);
    expect(out).toHaveLength(4);
    expect(out[0]).toBe('_._.._.._.._etc');
    // Invalid UIDs are replaced by a stable hash, not sanitised text.
    expect(out[1]).toMatch(/^INVALID-UID-[0-9a-f]{16}$/);
    expect(out[2]).toMatch(/^INVALID-UID-[0-9a-f]{16}$/);
    expect(out[3]).toMatch(/^INVALID-UID-[0-9a-f]{16}\.dcm$/);
    for (const c of out) expect(c.includes('/') || c.includes('\\') || c.startsWith('.')).toBe(false);
  });

  it.each([
    ['', /empty/],
    ['/{SOPInstanceUID}.dcm', /relative/],
    ['a\\{SOPInstanceUID}', /"\/" only/],
    ['a//{SOPInstanceUID}', /empty, "." or ".."/],
    ['../{SOPInstanceUID}', /empty, "." or ".."/],
    ['./{SOPInstanceUID}', /empty, "." or ".."/],
    ['{PatientID}/x.dcm', /must use \{SOPInstanceUID\}/],
    ['{PatientId}/{SOPInstanceUID}', /unknown placeholder \{PatientId\}/],
    ['{PatientID/{SOPInstanceUID}', /unknown placeholder|unclosed/],
    ['{SOPInstanceUID', /unclosed/],
    ['{SOPInstanceUID}}x', /unmatched/],
  ])('rejects template %j', (template, message) => {
    expect(() => compileLayout(template)).toThrow(FileStoreConfigError);
    expect(() => compileLayout(template)).toThrow(message);
  });
});
