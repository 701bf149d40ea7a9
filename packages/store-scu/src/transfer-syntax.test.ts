import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from './errors.js';
import {
  describeTransferSyntax,
  findTransferSyntax,
  isUncompressed,
  listTransferSyntaxes,
  resolveTransferSyntaxUid,
  TransferSyntax,
  transferSyntaxName,
} from './transfer-syntax.js';

describe('transfer syntax table', () => {
  it('maps the standard keywords to their UIDs and back', () => {
    const expected: Record<string, string> = {
      ImplicitVRLittleEndian: '1.2.840.10008.1.2',
      ExplicitVRLittleEndian: '1.2.840.10008.1.2.1',
      DeflatedExplicitVRLittleEndian: '1.2.840.10008.1.2.1.99',
      ExplicitVRBigEndian: '1.2.840.10008.1.2.2',
      JPEGBaseline8Bit: '1.2.840.10008.1.2.4.50',
      JPEGLossless: '1.2.840.10008.1.2.4.57',
      JPEGLosslessSV1: '1.2.840.10008.1.2.4.70',
      JPEGLSLossless: '1.2.840.10008.1.2.4.80',
      JPEGLSNearLossless: '1.2.840.10008.1.2.4.81',
      JPEG2000Lossless: '1.2.840.10008.1.2.4.90',
      JPEG2000: '1.2.840.10008.1.2.4.91',
      RLELossless: '1.2.840.10008.1.2.5',
      HTJ2KLossless: '1.2.840.10008.1.2.4.201',
    };
    for (const [name, uid] of Object.entries(expected)) {
      expect(resolveTransferSyntaxUid(name)).toBe(uid);
      expect(resolveTransferSyntaxUid(name.toLowerCase())).toBe(uid);
      expect(transferSyntaxName(uid)).toBe(name);
      expect(resolveTransferSyntaxUid(uid)).toBe(uid);
    }
    expect(TransferSyntax.RLELossless).toBe('1.2.840.10008.1.2.5');
  });

  it('has unique names and UIDs', () => {
    const all = listTransferSyntaxes();
    expect(new Set(all.map((ts) => ts.uid)).size).toBe(all.length);
    expect(new Set(all.map((ts) => ts.name)).size).toBe(all.length);
    expect(all.length).toBeGreaterThan(55);
  });

  it('flags encoding, encapsulation and loss', () => {
    expect(describeTransferSyntax(TransferSyntax.ImplicitVRLittleEndian)).toMatchObject({
      explicitVr: false,
      bigEndian: false,
      encapsulated: false,
      lossless: true,
    });
    expect(describeTransferSyntax(TransferSyntax.ExplicitVRBigEndian)).toMatchObject({
      bigEndian: true,
      retired: true,
    });
    expect(describeTransferSyntax(TransferSyntax.DeflatedExplicitVRLittleEndian).deflated).toBe(true);
    expect(describeTransferSyntax(TransferSyntax.JPEGBaseline8Bit)).toMatchObject({
      encapsulated: true,
      lossless: false,
    });
    expect(describeTransferSyntax(TransferSyntax.JPEGLSLossless)).toMatchObject({ encapsulated: true, lossless: true });
    expect(describeTransferSyntax(TransferSyntax.JPEGLSNearLossless).lossless).toBe(false);
    // Unknown (private) syntaxes are treated as encapsulated explicit little endian, of unknown loss.
    expect(describeTransferSyntax('1.2.3.4')).toMatchObject({ encapsulated: true, explicitVr: true, lossless: false });
    expect(isUncompressed(TransferSyntax.ExplicitVRBigEndian)).toBe(true);
    expect(isUncompressed(TransferSyntax.RLELossless)).toBe(false);
  });

  it('rejects names that are neither keywords nor UIDs with a typed error', () => {
    expect(() => resolveTransferSyntaxUid('ExplicitLittle')).toThrow(InvalidOptionError);
    expect(() => resolveTransferSyntaxUid('1.2..3')).toThrow(/Unknown transfer syntax/);
    expect(findTransferSyntax('1.2.840.10008.1.2.1\0')?.name).toBe('ExplicitVRLittleEndian');
    expect(resolveTransferSyntaxUid('1.2.3.4.5')).toBe('1.2.3.4.5');
  });
});
