/**
 * Transfer syntaxes (PS3.5 section 10 and Annex A; UIDs and keywords from PS3.6 Annex A) that DCMTK and GDCM can
 * produce on these machines, with the tool that makes each one.
 *
 * @packageDocumentation
 */

/** Transfer Syntax UIDs by PS3.6 keyword. */
export const TransferSyntaxUid = {
  ImplicitVRLittleEndian: '1.2.840.10008.1.2',
  ExplicitVRLittleEndian: '1.2.840.10008.1.2.1',
  DeflatedExplicitVRLittleEndian: '1.2.840.10008.1.2.1.99',
  ExplicitVRBigEndian: '1.2.840.10008.1.2.2',
  JPEGBaseline8Bit: '1.2.840.10008.1.2.4.50',
  JPEGExtended12Bit: '1.2.840.10008.1.2.4.51',
  JPEGSpectralSelectionNonHierarchical68: '1.2.840.10008.1.2.4.53',
  JPEGFullProgressionNonHierarchical1012: '1.2.840.10008.1.2.4.55',
  JPEGLossless: '1.2.840.10008.1.2.4.57',
  JPEGLosslessSV1: '1.2.840.10008.1.2.4.70',
  JPEGLSLossless: '1.2.840.10008.1.2.4.80',
  JPEGLSNearLossless: '1.2.840.10008.1.2.4.81',
  JPEG2000Lossless: '1.2.840.10008.1.2.4.90',
  JPEG2000: '1.2.840.10008.1.2.4.91',
  RLELossless: '1.2.840.10008.1.2.5',
} as const;

/** PS3.6 keyword of a transfer syntax in {@link TransferSyntaxUid}. */
export type TransferSyntaxKeyword = keyof typeof TransferSyntaxUid;

/** Which tool makes a transfer syntax from an Explicit VR Little Endian file, and how. */
export interface TransferSyntaxProducer {
  /** `writer`: this package's own PS3.10 writer; otherwise the executable. */
  readonly tool: 'writer' | 'dcmconv' | 'dcmcjpeg' | 'dcmcjpls' | 'dcmcrle' | 'gdcmconv';
  /** Arguments before `input output`. */
  readonly args: readonly string[];
}

/** Facts about one transfer syntax (PS3.5 section 10, Annex A). */
export interface TransferSyntaxInfo {
  readonly uid: string;
  readonly keyword: TransferSyntaxKeyword;
  /** The PS3.6 name. */
  readonly name: string;
  readonly explicitVr: boolean;
  readonly littleEndian: boolean;
  /** The whole dataset is deflated (PS3.5 A.5). */
  readonly deflated: boolean;
  /** Pixel Data is encapsulated in fragments (PS3.5 A.4). */
  readonly encapsulated: boolean;
  readonly lossy: boolean;
  /** Retired in the current PS3.6 (still produced by DCMTK and still met in archives). */
  readonly retired: boolean;
  /**
   * Largest Bits Stored the encoding holds (`undefined`: 16). DCMTK's lossy JPEG encoders reduce deeper images to it
   * (a 16-bit MR becomes 8 bits in JPEG Baseline), so every image can still be made in every transfer syntax.
   */
  readonly maxBitsStored?: number;
  readonly producer: TransferSyntaxProducer;
}

function info(
  keyword: TransferSyntaxKeyword,
  name: string,
  fields: Omit<TransferSyntaxInfo, 'uid' | 'keyword' | 'name' | 'explicitVr' | 'littleEndian' | 'deflated'> &
    Partial<Pick<TransferSyntaxInfo, 'explicitVr' | 'littleEndian' | 'deflated'>>,
): TransferSyntaxInfo {
  return {
    uid: TransferSyntaxUid[keyword],
    keyword,
    name,
    explicitVr: true,
    littleEndian: true,
    deflated: false,
    ...fields,
  };
}

const native = { encapsulated: false, lossy: false, retired: false } as const;

/**
 * Every transfer syntax this machine can produce, in a stable order (uncompressed first). `producer` tells how the
 * fixtures are made: the two native little endian ones by our writer, the rest by DCMTK (`dcmconv`, `dcmcjpeg`,
 * `dcmcjpls`, `dcmcrle`) and GDCM (`gdcmconv` for JPEG 2000) from the Explicit VR Little Endian file.
 */
export const TRANSFER_SYNTAXES: readonly TransferSyntaxInfo[] = [
  info('ImplicitVRLittleEndian', 'Implicit VR Little Endian', {
    ...native,
    explicitVr: false,
    producer: { tool: 'writer', args: [] },
  }),
  info('ExplicitVRLittleEndian', 'Explicit VR Little Endian', { ...native, producer: { tool: 'writer', args: [] } }),
  info('ExplicitVRBigEndian', 'Explicit VR Big Endian', {
    ...native,
    littleEndian: false,
    retired: true,
    producer: { tool: 'dcmconv', args: ['+tb'] },
  }),
  info('DeflatedExplicitVRLittleEndian', 'Deflated Explicit VR Little Endian', {
    ...native,
    deflated: true,
    producer: { tool: 'dcmconv', args: ['+td'] },
  }),
  info('JPEGBaseline8Bit', 'JPEG Baseline (Process 1)', {
    encapsulated: true,
    lossy: true,
    retired: false,
    maxBitsStored: 8,
    producer: { tool: 'dcmcjpeg', args: ['+eb', '+un'] },
  }),
  info('JPEGExtended12Bit', 'JPEG Extended (Process 2 & 4)', {
    encapsulated: true,
    lossy: true,
    retired: false,
    maxBitsStored: 12,
    producer: { tool: 'dcmcjpeg', args: ['+ee', '+un'] },
  }),
  info('JPEGSpectralSelectionNonHierarchical68', 'JPEG Spectral Selection, Non-Hierarchical (Process 6 & 8)', {
    encapsulated: true,
    lossy: true,
    retired: true,
    maxBitsStored: 12,
    producer: { tool: 'dcmcjpeg', args: ['+es', '+un'] },
  }),
  info('JPEGFullProgressionNonHierarchical1012', 'JPEG Full Progression, Non-Hierarchical (Process 10 & 12)', {
    encapsulated: true,
    lossy: true,
    retired: true,
    maxBitsStored: 12,
    producer: { tool: 'dcmcjpeg', args: ['+ep', '+un'] },
  }),
  info('JPEGLossless', 'JPEG Lossless, Non-Hierarchical (Process 14)', {
    encapsulated: true,
    lossy: false,
    retired: false,
    maxBitsStored: 16,
    producer: { tool: 'dcmcjpeg', args: ['+el'] },
  }),
  info('JPEGLosslessSV1', 'JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [Selection Value 1])', {
    encapsulated: true,
    lossy: false,
    retired: false,
    maxBitsStored: 16,
    producer: { tool: 'dcmcjpeg', args: ['+e1'] },
  }),
  info('JPEGLSLossless', 'JPEG-LS Lossless Image Compression', {
    encapsulated: true,
    lossy: false,
    retired: false,
    maxBitsStored: 16,
    producer: { tool: 'dcmcjpls', args: ['+el'] },
  }),
  info('JPEGLSNearLossless', 'JPEG-LS Lossy (Near-Lossless) Image Compression', {
    encapsulated: true,
    lossy: true,
    retired: false,
    maxBitsStored: 16,
    producer: { tool: 'dcmcjpls', args: ['+en', '+un'] },
  }),
  info('JPEG2000Lossless', 'JPEG 2000 Image Compression (Lossless Only)', {
    encapsulated: true,
    lossy: false,
    retired: false,
    producer: { tool: 'gdcmconv', args: ['--j2k'] },
  }),
  info('JPEG2000', 'JPEG 2000 Image Compression', {
    encapsulated: true,
    lossy: true,
    retired: false,
    producer: { tool: 'gdcmconv', args: ['--j2k', '-Y', '--irreversible', '-r', '10'] },
  }),
  info('RLELossless', 'RLE Lossless', {
    encapsulated: true,
    lossy: false,
    retired: false,
    producer: { tool: 'dcmcrle', args: [] },
  }),
];

/** Uncompressed transfer syntaxes: every DICOM object can be written in these (PS3.5 A.1, A.2, A.5). */
export const UNCOMPRESSED_TRANSFER_SYNTAXES: readonly string[] = TRANSFER_SYNTAXES.filter((ts) => !ts.encapsulated).map(
  (ts) => ts.uid,
);

/** The facts about a transfer syntax by UID or keyword; `undefined` if it is not one this package knows. */
export function transferSyntaxInfo(uidOrKeyword: string): TransferSyntaxInfo | undefined {
  return TRANSFER_SYNTAXES.find((ts) => ts.uid === uidOrKeyword || ts.keyword === uidOrKeyword);
}
