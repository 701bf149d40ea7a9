/**
 * The standard transfer syntaxes, by UID and by the keyword PS3.6 Table A-1 gives them, with the facts store-scu
 * needs: how the dataset is encoded (PS3.5 section 10), whether pixel data is encapsulated (PS3.5 A.4) and whether
 * the compression is lossless or lossy.
 */

import { InvalidOptionError } from './errors.js';

/** What one transfer syntax is. PS3.5 section 10 and Annex A, PS3.6 Table A-1. */
export interface TransferSyntaxInfo {
  /** The UID, e.g. `1.2.840.10008.1.2.1`. */
  readonly uid: string;
  /** The PS3.6 keyword, e.g. `ExplicitVRLittleEndian`. */
  readonly name: string;
  /** VR explicit in each element header (all but Implicit VR Little Endian). PS3.5 7.1. */
  readonly explicitVr: boolean;
  /** Big endian byte order (only Explicit VR Big Endian). PS3.5 7.3. */
  readonly bigEndian: boolean;
  /** The dataset is deflated (RFC 1951) after the file meta / on the wire. PS3.5 A.5. */
  readonly deflated: boolean;
  /** Pixel Data is encapsulated in fragments (PS3.5 A.4). */
  readonly encapsulated: boolean;
  /** No pixel information is lost (uncompressed, or lossless compression). */
  readonly lossless: boolean;
  /** Retired from the standard (still recognised). */
  readonly retired: boolean;
}

type Row = readonly [uid: string, name: string, flags: string];
// flags: i = implicit VR, b = big endian, d = deflated, e = encapsulated, y = lossy, r = retired
const ROWS: readonly Row[] = [
  ['1.2.840.10008.1.2', 'ImplicitVRLittleEndian', 'i'],
  ['1.2.840.10008.1.2.1', 'ExplicitVRLittleEndian', ''],
  ['1.2.840.10008.1.2.1.98', 'EncapsulatedUncompressedExplicitVRLittleEndian', 'e'],
  ['1.2.840.10008.1.2.1.99', 'DeflatedExplicitVRLittleEndian', 'd'],
  ['1.2.840.10008.1.2.2', 'ExplicitVRBigEndian', 'br'],
  ['1.2.840.10008.1.2.4.50', 'JPEGBaseline8Bit', 'ey'],
  ['1.2.840.10008.1.2.4.51', 'JPEGExtended12Bit', 'ey'],
  ['1.2.840.10008.1.2.4.52', 'JPEGExtended35', 'eyr'],
  ['1.2.840.10008.1.2.4.53', 'JPEGSpectralSelectionNonHierarchical68', 'eyr'],
  ['1.2.840.10008.1.2.4.54', 'JPEGSpectralSelectionNonHierarchical79', 'eyr'],
  ['1.2.840.10008.1.2.4.55', 'JPEGFullProgressionNonHierarchical1012', 'eyr'],
  ['1.2.840.10008.1.2.4.56', 'JPEGFullProgressionNonHierarchical1113', 'eyr'],
  ['1.2.840.10008.1.2.4.57', 'JPEGLossless', 'e'],
  ['1.2.840.10008.1.2.4.58', 'JPEGLosslessNonHierarchical15', 'er'],
  ['1.2.840.10008.1.2.4.59', 'JPEGExtendedHierarchical1618', 'eyr'],
  ['1.2.840.10008.1.2.4.60', 'JPEGExtendedHierarchical1719', 'eyr'],
  ['1.2.840.10008.1.2.4.61', 'JPEGSpectralSelectionHierarchical2022', 'eyr'],
  ['1.2.840.10008.1.2.4.62', 'JPEGSpectralSelectionHierarchical2123', 'eyr'],
  ['1.2.840.10008.1.2.4.63', 'JPEGFullProgressionHierarchical2426', 'eyr'],
  ['1.2.840.10008.1.2.4.64', 'JPEGFullProgressionHierarchical2527', 'eyr'],
  ['1.2.840.10008.1.2.4.65', 'JPEGLosslessHierarchical28', 'er'],
  ['1.2.840.10008.1.2.4.66', 'JPEGLosslessHierarchical29', 'er'],
  ['1.2.840.10008.1.2.4.70', 'JPEGLosslessSV1', 'e'],
  ['1.2.840.10008.1.2.4.80', 'JPEGLSLossless', 'e'],
  ['1.2.840.10008.1.2.4.81', 'JPEGLSNearLossless', 'ey'],
  ['1.2.840.10008.1.2.4.90', 'JPEG2000Lossless', 'e'],
  ['1.2.840.10008.1.2.4.91', 'JPEG2000', 'ey'],
  ['1.2.840.10008.1.2.4.92', 'JPEG2000MCLossless', 'e'],
  ['1.2.840.10008.1.2.4.93', 'JPEG2000MC', 'ey'],
  ['1.2.840.10008.1.2.4.94', 'JPIPReferenced', 'y'],
  ['1.2.840.10008.1.2.4.95', 'JPIPReferencedDeflate', 'dy'],
  ['1.2.840.10008.1.2.4.100', 'MPEG2MPML', 'ey'],
  ['1.2.840.10008.1.2.4.100.1', 'MPEG2MPMLF', 'ey'],
  ['1.2.840.10008.1.2.4.101', 'MPEG2MPHL', 'ey'],
  ['1.2.840.10008.1.2.4.101.1', 'MPEG2MPHLF', 'ey'],
  ['1.2.840.10008.1.2.4.102', 'MPEG4HP41', 'ey'],
  ['1.2.840.10008.1.2.4.102.1', 'MPEG4HP41F', 'ey'],
  ['1.2.840.10008.1.2.4.103', 'MPEG4HP41BD', 'ey'],
  ['1.2.840.10008.1.2.4.103.1', 'MPEG4HP41BDF', 'ey'],
  ['1.2.840.10008.1.2.4.104', 'MPEG4HP422D', 'ey'],
  ['1.2.840.10008.1.2.4.104.1', 'MPEG4HP422DF', 'ey'],
  ['1.2.840.10008.1.2.4.105', 'MPEG4HP423D', 'ey'],
  ['1.2.840.10008.1.2.4.105.1', 'MPEG4HP423DF', 'ey'],
  ['1.2.840.10008.1.2.4.106', 'MPEG4HP42STEREO', 'ey'],
  ['1.2.840.10008.1.2.4.106.1', 'MPEG4HP42STEREOF', 'ey'],
  ['1.2.840.10008.1.2.4.107', 'HEVCMP51', 'ey'],
  ['1.2.840.10008.1.2.4.108', 'HEVCM10P51', 'ey'],
  ['1.2.840.10008.1.2.4.110', 'JPEGXLLossless', 'e'],
  ['1.2.840.10008.1.2.4.111', 'JPEGXLJPEGRecompression', 'e'],
  ['1.2.840.10008.1.2.4.112', 'JPEGXL', 'ey'],
  ['1.2.840.10008.1.2.4.201', 'HTJ2KLossless', 'e'],
  ['1.2.840.10008.1.2.4.202', 'HTJ2KLosslessRPCL', 'e'],
  ['1.2.840.10008.1.2.4.203', 'HTJ2K', 'ey'],
  ['1.2.840.10008.1.2.4.204', 'JPIPHTJ2KReferenced', 'y'],
  ['1.2.840.10008.1.2.4.205', 'JPIPHTJ2KReferencedDeflate', 'dy'],
  ['1.2.840.10008.1.2.5', 'RLELossless', 'e'],
  ['1.2.840.10008.1.2.6.1', 'RFC2557MIMEEncapsulation', 'r'],
  ['1.2.840.10008.1.2.6.2', 'XMLEncoding', 'r'],
  ['1.2.840.10008.1.2.7.1', 'SMPTEST211020UncompressedProgressiveActiveVideo', 'e'],
  ['1.2.840.10008.1.2.7.2', 'SMPTEST211020UncompressedInterlacedActiveVideo', 'e'],
  ['1.2.840.10008.1.2.7.3', 'SMPTEST211030PCMDigitalAudio', 'e'],
  ['1.2.840.10008.1.2.8.1', 'DeflatedImageFrameCompression', 'e'],
];

const BY_UID = new Map<string, TransferSyntaxInfo>();
const BY_NAME = new Map<string, TransferSyntaxInfo>();
for (const [uid, name, flags] of ROWS) {
  const info: TransferSyntaxInfo = Object.freeze({
    uid,
    name,
    explicitVr: !flags.includes('i'),
    bigEndian: flags.includes('b'),
    deflated: flags.includes('d'),
    encapsulated: flags.includes('e'),
    lossless: !flags.includes('y'),
    retired: flags.includes('r'),
  });
  BY_UID.set(uid, info);
  BY_NAME.set(name.toLowerCase(), info);
}

/** UIDs of the transfer syntaxes used by name throughout the package. PS3.6 Table A-1. */
export const TransferSyntax = {
  ImplicitVRLittleEndian: '1.2.840.10008.1.2',
  ExplicitVRLittleEndian: '1.2.840.10008.1.2.1',
  DeflatedExplicitVRLittleEndian: '1.2.840.10008.1.2.1.99',
  ExplicitVRBigEndian: '1.2.840.10008.1.2.2',
  JPEGBaseline8Bit: '1.2.840.10008.1.2.4.50',
  JPEGExtended12Bit: '1.2.840.10008.1.2.4.51',
  JPEGLossless: '1.2.840.10008.1.2.4.57',
  JPEGLosslessSV1: '1.2.840.10008.1.2.4.70',
  JPEGLSLossless: '1.2.840.10008.1.2.4.80',
  JPEGLSNearLossless: '1.2.840.10008.1.2.4.81',
  JPEG2000Lossless: '1.2.840.10008.1.2.4.90',
  JPEG2000: '1.2.840.10008.1.2.4.91',
  RLELossless: '1.2.840.10008.1.2.5',
} as const;

/** Every standard transfer syntax known to this package (PS3.6 Table A-1), retired ones included. */
export function listTransferSyntaxes(): readonly TransferSyntaxInfo[] {
  return [...BY_UID.values()];
}

/**
 * Looks up a transfer syntax by UID or by PS3.6 keyword (case-insensitive). Returns `undefined` when unknown.
 * PS3.6 Table A-1.
 */
export function findTransferSyntax(nameOrUid: string): TransferSyntaxInfo | undefined {
  const key = nameOrUid.trim().replace(/\0+$/, '');
  return BY_UID.get(key) ?? BY_NAME.get(key.toLowerCase());
}

/**
 * Resolves a transfer syntax given by name or UID to its UID, throwing {@link InvalidOptionError} when it is
 * neither a known keyword nor a syntactically valid UID. Unknown but valid UIDs pass through (private syntaxes).
 */
export function resolveTransferSyntaxUid(nameOrUid: string): string {
  const found = findTransferSyntax(nameOrUid);
  if (found) return found.uid;
  const uid = nameOrUid.trim();
  if (/^[0-9]+(\.[0-9]+)*$/.test(uid) && uid.length <= 64) return uid;
  throw new InvalidOptionError(
    `Unknown transfer syntax "${nameOrUid}": give a PS3.6 keyword such as ExplicitVRLittleEndian or a UID`,
  );
}

/** The keyword of a transfer syntax UID, or the UID itself when unknown. */
export function transferSyntaxName(uid: string): string {
  return BY_UID.get(uid)?.name ?? uid;
}

/**
 * Whether datasets in this syntax can be read element by element (PS3.5 section 7): the native syntaxes, deflated
 * included, and the encapsulated ones (whose non-pixel attributes are Explicit VR Little Endian, PS3.5 A.4).
 * Unknown UIDs are assumed Explicit VR Little Endian with encapsulated pixel data, as PS3.5 A.4 requires of every
 * compressed syntax.
 */
export function describeTransferSyntax(uid: string): TransferSyntaxInfo {
  return (
    BY_UID.get(uid) ?? {
      uid,
      name: uid,
      explicitVr: true,
      bigEndian: false,
      deflated: false,
      encapsulated: true,
      lossless: false,
      retired: false,
    }
  );
}

/** Native (not encapsulated) syntaxes between which store-scu transcodes without loss. PS3.5 A.1-A.3, A.5. */
export const UNCOMPRESSED_TRANSFER_SYNTAXES: readonly string[] = [
  TransferSyntax.ExplicitVRLittleEndian,
  TransferSyntax.ImplicitVRLittleEndian,
  TransferSyntax.DeflatedExplicitVRLittleEndian,
  TransferSyntax.ExplicitVRBigEndian,
];

/** Whether a UID names one of the native syntaxes in {@link UNCOMPRESSED_TRANSFER_SYNTAXES}. */
export function isUncompressed(uid: string): boolean {
  return UNCOMPRESSED_TRANSFER_SYNTAXES.includes(uid);
}
