/**
 * @netdicom/pdu: the DICOM Upper Layer PDUs of PS3.8 9.3 (with the User Information sub-items of PS3.8 Annex D and
 * PS3.7 Annex D.3.3) as plain objects, a lossless encoder and decoder, and a streaming reader. No I/O.
 */
export * from './types.js';
export {
  InvalidPduFieldError,
  InvalidPduParameterValueError,
  InvalidPduReaderOptionsError,
  PduError,
  type PduErrorDetails,
  PduTooLargeError,
  TruncatedPduError,
  UnexpectedPduParameterError,
  UnrecognizedPduError,
  UnrecognizedPduParameterError,
} from './errors.js';
export {
  encodePdu,
  encodePduParts,
  maxPdvDataLength,
  pDataTfLength,
  pduHeaderLength,
  pdvOverhead,
} from './encode.js';
export { type DecodeOptions, decodePdu, pduKindOf } from './decode.js';
export { createPduReader, defaultMaxAssociatePduLength, type PduReader, type PduReaderOptions } from './reader.js';
export { isLenientUid, isValidAeTitle, isValidUid } from './validate.js';
