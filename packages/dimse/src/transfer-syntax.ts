/**
 * Transfer syntax UIDs and how their data sets are encoded, PS3.5 section 10 and Annex A.
 */

/** Transfer syntax UIDs this package names, PS3.5 Annex A and PS3.6 Annex A. */
export const TransferSyntax = {
  ImplicitVrLittleEndian: '1.2.840.10008.1.2',
  ExplicitVrLittleEndian: '1.2.840.10008.1.2.1',
  EncapsulatedUncompressedExplicitVrLittleEndian: '1.2.840.10008.1.2.1.98',
  DeflatedExplicitVrLittleEndian: '1.2.840.10008.1.2.1.99',
  ExplicitVrBigEndian: '1.2.840.10008.1.2.2',
  JpegBaseline8Bit: '1.2.840.10008.1.2.4.50',
  JpegLossless: '1.2.840.10008.1.2.4.70',
  JpegLsLossless: '1.2.840.10008.1.2.4.80',
  Jpeg2000Lossless: '1.2.840.10008.1.2.4.90',
  JpipReferencedDeflate: '1.2.840.10008.1.2.4.95',
  JpipHtj2kReferencedDeflate: '1.2.840.10008.1.2.4.205',
  RleLossless: '1.2.840.10008.1.2.5',
} as const;

/** How a transfer syntax encodes the data set structure (PS3.5 10.1, A.1–A.5). */
export interface DatasetEncoding {
  readonly explicitVr: boolean;
  readonly littleEndian: boolean;
  /** The whole data set is compressed with raw deflate (PS3.5 A.5). */
  readonly deflated: boolean;
}

/**
 * The data set encoding of a transfer syntax (PS3.5 10.1): Implicit VR Little Endian, Explicit VR Big Endian,
 * deflated Explicit VR Little Endian; every other transfer syntax (the encapsulated ones included, PS3.5 A.4) encodes
 * its data set as Explicit VR Little Endian.
 */
export function datasetEncoding(transferSyntax: string): DatasetEncoding {
  switch (transferSyntax) {
    case TransferSyntax.ImplicitVrLittleEndian:
      return { explicitVr: false, littleEndian: true, deflated: false };
    case TransferSyntax.ExplicitVrBigEndian:
      return { explicitVr: true, littleEndian: false, deflated: false };
    case TransferSyntax.DeflatedExplicitVrLittleEndian:
    case TransferSyntax.JpipReferencedDeflate:
    case TransferSyntax.JpipHtj2kReferencedDeflate:
      return { explicitVr: true, littleEndian: true, deflated: true };
    default:
      return { explicitVr: true, littleEndian: true, deflated: false };
  }
}

const NATIVE = new Set<string>([
  TransferSyntax.ImplicitVrLittleEndian,
  TransferSyntax.ExplicitVrLittleEndian,
  TransferSyntax.ExplicitVrBigEndian,
  TransferSyntax.DeflatedExplicitVrLittleEndian,
]);

/** Whether pixel data is native (not encapsulated/compressed) in this transfer syntax, PS3.5 A.1–A.5. */
export function isUncompressedTransferSyntax(transferSyntax: string): boolean {
  return NATIVE.has(transferSyntax);
}
