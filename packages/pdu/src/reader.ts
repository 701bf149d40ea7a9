/**
 * Streaming PDU framing over a byte stream (PS3.8 9.1: one TCP connection carries one association's PDUs back to
 * back). Feed it the chunks as they arrive; it returns the PDUs completed so far.
 */
import { readU32 } from './bytes.js';
import { type DecodeOptions, checkPduHeader, decodePduAt } from './decode.js';
import { pduHeaderLength } from './encode.js';
import {
  InvalidPduParameterValueError,
  InvalidPduReaderOptionsError,
  type PduError,
  TruncatedPduError,
} from './errors.js';
import type { Pdu, Pdv } from './types.js';
import { argumentError } from './bytes.js';

/** Body pieces smaller than this are copied together rather than kept as views of their chunks. */
const coalesceBelow = 4096;

/**
 * Default bound of the PDU-length of an A-ASSOCIATE-RQ/AC (PS3.8 9.3.2, 9.3.3), which the Maximum Length Received of
 * PS3.8 D.1 does not cover: 1 MiB.
 */
export const defaultMaxAssociatePduLength = 1024 * 1024;

/** Options of {@link createPduReader}. */
export interface PduReaderOptions extends DecodeOptions {
  /**
   * The largest PDU-length (the variable field, the 6 header bytes not counted) accepted for a P-DATA-TF: the
   * Maximum Length Received this side announced in its User Information item (PS3.8 D.1). An integer
   * 1..4294967295; this side should never announce 0 ("no maximum") if it wants bounded memory.
   */
  readonly maxPduLength: number;
  /**
   * The largest PDU-length accepted for an A-ASSOCIATE-RQ or -AC, which Maximum Length Received does not cover.
   * Default {@link defaultMaxAssociatePduLength} (1 MiB): far above any real request (128 presentation contexts
   * and a large SAML or JWT user identity stay well below 300 KiB). The other PDUs have a fixed PDU-length of 4.
   */
  readonly maxAssociatePduLength?: number;
  /**
   * Hand a P-DATA-TF that spans chunks on as it arrives instead of assembling it (default false). Each chunk then
   * yields a P-DATA-TF carrying the Presentation Data Values, or parts of them, that it completes, as views of the
   * chunk: no copy of the PDU. A PDV cut by a chunk boundary arrives as several PDVs with the same presentation
   * context and command bit, the last-fragment bit on the final part only: to DIMSE (PS3.8 E.2, PS3.7 6.3.1) that is
   * the same message. The PDU's structure is still checked in full (PDV item lengths against the PDU-length, odd
   * presentation-context-IDs), as the bytes arrive. The PDUs returned are then not the wire PDUs: re-encoding them does
   * not reproduce the input, which is why this is opt-in.
   */
  readonly splitPData?: boolean;
}

/** Incremental PDU reader over the byte stream of one TCP connection (PS3.8 9.1, 9.3); see {@link createPduReader}. */
export interface PduReader {
  /**
   * Consumes the next chunk of the stream and returns the PDUs it completed, in order (often none, possibly many).
   * The reader keeps references to `chunk` (PDV fragments are views of it): do not modify a chunk after pushing it.
   * Throws a {@link PduError} when the stream is not valid PDUs; the reader then stays failed and throws the same
   * error from every later call. PDUs completed earlier in the failing chunk are not returned: the association is
   * aborted anyway (PS3.8 9.2, AA-8).
   */
  push(chunk: Uint8Array): Pdu[];
  /** Bytes received and held for a PDU not yet complete (a partial header included). */
  readonly bufferedBytes: number;
  /**
   * The PDU-length announced by the header of the PDU being received, or `undefined` between PDUs or while fewer
   * than 6 header bytes have arrived. Lets a caller see how much more is coming.
   */
  readonly pendingPduLength: number | undefined;
  /**
   * Declares the end of the stream. Throws {@link TruncatedPduError} when a PDU was only partly received (the
   * connection closed in the middle of a PDU); does nothing otherwise. The reader is unusable afterwards.
   */
  end(): void;
}

function checkLimit(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 0xffffffff) {
    throw new InvalidPduReaderOptionsError(`${name} must be an integer 1..4294967295, got ${String(value)}`);
  }
  return value;
}

/**
 * Creates a streaming PDU reader (PS3.8 9.3). Chunks may split PDUs anywhere, from one byte at a time to many PDUs
 * in one chunk. A PDU that lies within one chunk is decoded in place: its PDV fragments are views of the chunk, no
 * copy. A PDU that spans chunks is assembled once, when its last byte arrives, from views of the chunks it spans
 * (pieces under 4 KiB are first copied together into blocks, so that a peer sending one byte at a time costs memory
 * in proportion to the bytes, not to the number of chunks); the stream is never concatenated. Each header is checked the moment its 6 bytes are known, before any of the body
 * is held: an unknown PDU type, a wrong fixed length, or a PDU-length above the limits throws right away, so memory
 * held never exceeds what the peer actually sent, and a PDU never exceeds its limit.
 */
export function createPduReader(options: PduReaderOptions): PduReader {
  const limits = {
    maxPduLength: checkLimit(options?.maxPduLength, 'maxPduLength'),
    maxAssociatePduLength: checkLimit(
      options.maxAssociatePduLength ?? defaultMaxAssociatePduLength,
      'maxAssociatePduLength',
    ),
  };
  const decodeOptions: DecodeOptions = options.unknownItems === undefined ? {} : { unknownItems: options.unknownItems };
  const splitPData = options.splitPData === true;

  /** Header bytes of the pending PDU (only while the PDU spans chunks). */
  const head = new Uint8Array(pduHeaderLength);
  let headLength = 0;
  /** PDU-length of the pending PDU, -1 while its header is incomplete. */
  let bodyLength = -1;
  /**
   * The pending PDU's body bytes received so far: views of large chunks, and small pieces copied together into blocks
   * of at least `coalesceBelow` bytes, so that a peer trickling bytes cannot make the reader hold one object per byte.
   */
  let pieces: Uint8Array[] = [];
  let piecesLength = 0;
  /** The block small pieces are being copied into, not yet in `pieces`. */
  let block: Uint8Array | undefined;
  let blockUsed = 0;
  let failure: PduError | undefined;
  let ended = false;

  // A P-DATA-TF handed on as it arrives (splitPData): bytes of its body still to come, and the PDV item in progress.
  let streaming = false;
  let pdataLeft = 0;
  const itemHead = new Uint8Array(6);
  let itemHeadLength = 0;
  let itemDataLeft = 0;
  let itemPresentationContextId = 0;
  let itemControl = 0;
  let firstPiece = true;

  /** Closes the block small pieces were being copied into, if any, appending its filled part to `pieces`. */
  const closeBlock = (): void => {
    if (block !== undefined && blockUsed > 0) pieces.push(block.subarray(0, blockUsed));
    block = undefined;
  };

  /** Stores body bytes of the pending PDU: a view when large, copied into the current block when small. */
  const keepPiece = (piece: Uint8Array): void => {
    if (piece.length >= coalesceBelow) {
      closeBlock();
      pieces.push(piece);
      piecesLength += piece.length;
      return;
    }
    let at = 0;
    while (at < piece.length) {
      if (block === undefined || blockUsed === block.length) {
        closeBlock();
        block = new Uint8Array(Math.min(coalesceBelow, bodyLength - piecesLength));
        blockUsed = 0;
      }
      const n = Math.min(block.length - blockUsed, piece.length - at);
      block.set(n === piece.length ? piece : piece.subarray(at, at + n), blockUsed);
      blockUsed += n;
      at += n;
      piecesLength += n;
    }
  };

  const fail = (err: unknown): never => {
    failure = err as PduError;
    streaming = false;
    headLength = 0;
    bodyLength = -1;
    pieces = [];
    piecesLength = 0;
    block = undefined;
    throw err;
  };

  /** Stores the start of a PDU that the chunk does not complete: header bytes copied, body bytes as a view. */
  const keepRemainder = (chunk: Uint8Array, from: number, out: Pdu[]): void => {
    const headerBytes = Math.min(pduHeaderLength, chunk.length - from);
    head.set(chunk.subarray(from, from + headerBytes), 0);
    headLength = headerBytes;
    if (headLength === pduHeaderLength) {
      bodyLength = readU32(head, 2);
      if (startStreaming()) streamPData(chunk, from + pduHeaderLength, out);
      else if (chunk.length > from + pduHeaderLength) keepPiece(chunk.subarray(from + pduHeaderLength));
    } else {
      // A partial header: refuse an unknown PDU type from its first byte.
      checkType(head[0] as number);
    }
  };

  const checkType = (pduType: number): void => {
    if (pduType < 1 || pduType > 7) checkPduHeader(pduType, 0, limits);
  };

  const assemble = (): Pdu => {
    closeBlock();
    const pdu = new Uint8Array(pduHeaderLength + bodyLength);
    pdu.set(head, 0);
    let at = pduHeaderLength;
    for (const p of pieces) {
      pdu.set(p, at);
      at += p.length;
    }
    headLength = 0;
    bodyLength = -1;
    pieces = [];
    piecesLength = 0;
    block = undefined;
    return decodePduAt(pdu, 0, decodeOptions);
  };

  /** With splitPData, a P-DATA-TF whose header is complete (and body not) is handed on as it arrives. */
  const startStreaming = (): boolean => {
    if (!splitPData || head[0] !== 4 || bodyLength === 0) return false;
    streaming = true;
    pdataLeft = bodyLength;
    itemHeadLength = 0;
    itemDataLeft = 0;
    firstPiece = true;
    return true;
  };

  const pdataError = (message: string, offsetInItem: number): never => {
    throw new InvalidPduParameterValueError(`P-DATA-TF: ${message}`, {
      pduType: 4,
      offset: pduHeaderLength + bodyLength - pdataLeft - offsetInItem,
    });
  };

  /**
   * Consumes the streamed P-DATA-TF's bytes in `chunk` from `from` (at most what is left of its body), appending a
   * P-DATA-TF with the PDVs (or parts) they complete to `out`; returns the offset after them.
   */
  const streamPData = (chunk: Uint8Array, from: number, out: Pdu[]): number => {
    const end = Math.min(chunk.length, from + pdataLeft);
    let at = from;
    const pdvs: Pdv[] = [];
    while (at < end) {
      if (itemDataLeft === 0) {
        // The PDV item header: Item-length (4), presentation-context-ID (1), message control header (1).
        if (itemHeadLength === 0 && pdataLeft < 6) {
          pdataError(`${pdataLeft} bytes left, too few for a Presentation Data Value item`, 0);
        }
        const take = Math.min(6 - itemHeadLength, end - at);
        itemHead.set(chunk.subarray(at, at + take), itemHeadLength);
        itemHeadLength += take;
        at += take;
        pdataLeft -= take;
        if (itemHeadLength < 6) break;
        itemHeadLength = 0;
        const itemLength = readU32(itemHead, 0);
        if (itemLength < 2) {
          pdataError(
            `PDV Item-length ${itemLength} is below 2 (presentation-context-ID and message control header)`,
            6,
          );
        }
        if (itemLength - 2 > pdataLeft) {
          pdataError(`PDV Item-length ${itemLength} runs past the end of the PDU (${pdataLeft + 2} bytes left)`, 6);
        }
        itemPresentationContextId = itemHead[4] as number;
        if ((itemPresentationContextId & 1) === 0) {
          pdataError(
            `presentation-context-ID ${itemPresentationContextId} is not an odd integer 1..255 (PS3.8 9.3.5.1)`,
            2,
          );
        }
        itemControl = itemHead[5] as number;
        itemDataLeft = itemLength - 2;
        if (itemDataLeft === 0) pdvs.push(piece(chunk.subarray(at, at), true));
        continue;
      }
      const take = Math.min(itemDataLeft, end - at);
      itemDataLeft -= take;
      pdataLeft -= take;
      pdvs.push(piece(chunk.subarray(at, at + take), itemDataLeft === 0));
      at += take;
    }
    if (pdvs.length > 0) {
      const reserved = head[1] as number;
      out.push(
        firstPiece && reserved !== 0
          ? { kind: 'P-DATA-TF', pdvs, preserved: { reserved: Uint8Array.of(reserved) } }
          : { kind: 'P-DATA-TF', pdvs },
      );
      firstPiece = false;
    }
    if (pdataLeft === 0) {
      streaming = false;
      headLength = 0;
      bodyLength = -1;
    }
    return at;
  };

  /** A PDV or part of one: the last-fragment bit only on the part that ends the item. */
  const piece = (data: Uint8Array, endsItem: boolean): Pdv => {
    const control = endsItem ? itemControl : itemControl & ~2;
    const pdv: Pdv = {
      presentationContextId: itemPresentationContextId,
      isCommand: (control & 1) === 1,
      isLast: (control & 2) === 2,
      data,
    };
    return (control & 0xfc) === 0 ? pdv : { ...pdv, preserved: { reserved: Uint8Array.of(control & 0xfc) } };
  };

  const consume = (chunk: Uint8Array): Pdu[] => {
    const out: Pdu[] = [];
    const n = chunk.length;
    let off = 0;

    if (streaming) {
      off = streamPData(chunk, 0, out);
      if (streaming) return out;
    } else if (headLength > 0) {
      // Complete the header of the pending PDU.
      if (headLength < pduHeaderLength) {
        const take = Math.min(pduHeaderLength - headLength, n);
        head.set(chunk.subarray(0, take), headLength);
        headLength += take;
        off = take;
        if (headLength < pduHeaderLength) return out;
        bodyLength = readU32(head, 2);
        checkPduHeader(head[0] as number, bodyLength, limits);
        if (n - off < bodyLength && startStreaming()) {
          off = streamPData(chunk, off, out);
          return out;
        }
      }
      // Complete its body.
      const take = Math.min(bodyLength - piecesLength, n - off);
      if (take > 0) {
        keepPiece(chunk.subarray(off, off + take));
        off += take;
      }
      if (piecesLength < bodyLength) return out;
      out.push(assemble());
    }

    // Whole PDUs inside the chunk: decoded in place.
    while (n - off >= pduHeaderLength) {
      const length = readU32(chunk, off + 2);
      checkPduHeader(chunk[off] as number, length, limits);
      if (n - off - pduHeaderLength < length) break;
      out.push(decodePduAt(chunk, off, decodeOptions));
      off += pduHeaderLength + length;
    }
    if (off < n) keepRemainder(chunk, off, out);
    return out;
  };

  return {
    push(chunk: Uint8Array): Pdu[] {
      if (failure !== undefined) throw failure;
      if (ended)
        throw Object.assign(new Error('PduReader.push called after end()'), { code: 'ERR_STREAM_WRITE_AFTER_END' });
      if (!(chunk instanceof Uint8Array)) throw argumentError('PduReader.push expects a Uint8Array');
      try {
        return consume(chunk);
      } catch (err) {
        return fail(err);
      }
    },
    get bufferedBytes() {
      return headLength + piecesLength + itemHeadLength;
    },
    get pendingPduLength() {
      return bodyLength >= 0 ? bodyLength : undefined;
    },
    end(): void {
      if (ended) return;
      ended = true;
      if (failure !== undefined) return;
      if (headLength > 0) {
        const got = headLength + (streaming ? bodyLength - pdataLeft : piecesLength);
        const expected = bodyLength >= 0 ? `${pduHeaderLength + bodyLength} bytes` : 'a 6-byte header';
        pieces = [];
        throw new TruncatedPduError(`the stream ended inside a PDU: ${got} bytes of ${expected} received`, {
          pduType: head[0] as number,
          offset: got,
        });
      }
    },
  };
}
