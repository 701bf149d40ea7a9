/**
 * Errors of the PDU codec. Every error the decoder or the reader throws is a {@link PduError} with a stable `code` and
 * the A-ABORT reason (PS3.8 Table 9-26) that the upper layer state machine should send when the error came from bytes
 * received from a peer (PS3.8 9.2, event Evt19 "unrecognized or invalid PDU received", action AA-8).
 */
import { AbortReason, type AbortReasonCode } from './types.js';

/** Where in the input a problem was found. */
export interface PduErrorDetails {
  /** PDU type of the PDU being decoded, when known (PS3.8 9.3.1). */
  readonly pduType?: number;
  /** Byte offset of the offending field from the start of the PDU (byte 1 of PS3.8 is offset 0), when known. */
  readonly offset?: number;
  readonly cause?: unknown;
}

/**
 * Base class of every codec error. `code` is stable (`ERR_NETDICOM_PDU_*`); `abortReason` is the A-ABORT
 * Reason/Diag. value of PS3.8 Table 9-26 to send (with source 2, service-provider) when the error was caused by
 * received bytes.
 */
export abstract class PduError extends Error {
  abstract readonly code: string;
  abstract readonly abortReason: AbortReasonCode;
  readonly pduType?: number;
  readonly offset?: number;

  constructor(message: string, details: PduErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    if (details.pduType !== undefined) this.pduType = details.pduType;
    if (details.offset !== undefined) this.offset = details.offset;
  }
}

/** The PDU-type byte is not one of the seven of PS3.8 9.3.1. A-ABORT reason 1, unrecognized-PDU. */
export class UnrecognizedPduError extends PduError {
  readonly code = 'ERR_NETDICOM_PDU_UNRECOGNIZED';
  readonly abortReason = AbortReason.UnrecognizedPdu;
}

/**
 * An item or sub-item of a type this codec does not know, refused because the decoder was asked to
 * (`unknownItems: 'reject'`). By default PS3.8 9.3.1 applies: "Items of unrecognized types shall be ignored and
 * skipped" (they are kept in `unknownItems`/`unknownSubItems`). A-ABORT reason 4, unrecognized-PDU-parameter.
 */
export class UnrecognizedPduParameterError extends PduError {
  readonly code = 'ERR_NETDICOM_PDU_UNRECOGNIZED_PARAMETER';
  readonly abortReason = AbortReason.UnrecognizedPduParameter;
}

/**
 * A known item or sub-item where the standard does not allow it (for example a Presentation Context item of an
 * A-ASSOCIATE-AC inside an A-ASSOCIATE-RQ, a User Identity response in a request) or more instances than the standard
 * allows (a second Application Context, User Information, Maximum Length... item; PS3.8 9.3.1: "Several instances
 * of the same item shall be acceptable or shall not as specified by each item"). A-ABORT reason 5,
 * unexpected-PDU-parameter (PS3.8 Table 9-26).
 */
export class UnexpectedPduParameterError extends PduError {
  readonly code = 'ERR_NETDICOM_PDU_UNEXPECTED_PARAMETER';
  readonly abortReason = AbortReason.UnexpectedPduParameter;
}

/**
 * A field whose value the standard constrains is out of bounds: a length that does not fit its container, an even or
 * zero presentation-context-ID, a PDV shorter than 2 bytes, an invalid AE title or UID, a missing mandatory item
 * (PS3.8 9.3.2-9.3.8). A-ABORT reason 6, invalid-PDU-parameter-value (PS3.8 Table 9-26).
 */
export class InvalidPduParameterValueError extends PduError {
  readonly code = 'ERR_NETDICOM_PDU_INVALID_PARAMETER_VALUE';
  readonly abortReason = AbortReason.InvalidPduParameterValue;
}

/**
 * A PDU header announces a PDU-length above the configured limit: for P-DATA-TF the Maximum Length Received this
 * side announced (PS3.8 D.1), for A-ASSOCIATE-RQ/AC the reader's association limit. Thrown as soon as the 6 header
 * bytes are there, before anything of the body is buffered. A-ABORT reason 6, invalid-PDU-parameter-value (the
 * PDU-length parameter exceeds the negotiated maximum).
 */
export class PduTooLargeError extends PduError {
  readonly code = 'ERR_NETDICOM_PDU_TOO_LARGE';
  readonly abortReason = AbortReason.InvalidPduParameterValue;
  /** The announced PDU-length (the variable field, without the 6 header bytes). */
  readonly length: number;
  /** The limit it exceeded. */
  readonly limit: number;

  constructor(message: string, length: number, limit: number, details: PduErrorDetails = {}) {
    super(message, details);
    this.length = length;
    this.limit = limit;
  }
}

/**
 * Fewer bytes than the PDU-length of the header announces (PS3.8 9.3.1): `decodePdu` given an incomplete PDU, or a
 * reader ended in the middle of a PDU. A-ABORT reason 6, invalid-PDU-parameter-value (PS3.8 Table 9-26).
 */
export class TruncatedPduError extends PduError {
  readonly code = 'ERR_NETDICOM_PDU_TRUNCATED';
  readonly abortReason = AbortReason.InvalidPduParameterValue;
}

/**
 * The encoder was given a value it cannot or must not put on the wire (an even presentation context ID, an AE title
 * of 17 characters, a UID with letters, an item longer than its 16-bit length field; the constraints of PS3.8 9.3 and
 * PS3.7 D.3.3). This is a programming error of the caller, not a peer's fault; should it ever reach a state machine,
 * the A-ABORT reason is 0, reason-not-specified (PS3.8 Table 9-26).
 */
export class InvalidPduFieldError extends PduError {
  readonly code = 'ERR_NETDICOM_PDU_INVALID_FIELD';
  readonly abortReason = AbortReason.NotSpecified;
}

/**
 * Options given to `createPduReader` are out of range (for example a Maximum Length Received outside the 32-bit range
 * of PS3.8 D.1). A programming error; A-ABORT reason 0 (PS3.8 Table 9-26) if ever needed.
 */
export class InvalidPduReaderOptionsError extends PduError {
  readonly code = 'ERR_NETDICOM_PDU_INVALID_OPTIONS';
  readonly abortReason = AbortReason.NotSpecified;
}
