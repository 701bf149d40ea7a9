/**
 * Streaming PDU framing over a byte stream (PS3.8 9.1: one TCP connection carries one association's PDUs back to
 * back). Feed it the chunks as they arrive; it returns the PDUs completed so far.
 */
import { readU32 } from './bytes.js';
import { type DecodeOptions, checkPduHeader, decodePduAt } from './decode.js';
import { pduHeaderLength } from './encode.js';
import { InvalidPduReaderOptionsError, type PduError, TruncatedPduError } from './errors.js';
import type { Pdu } from './types.js';
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
    headLength = 0;
    bodyLength = -1;
    pieces = [];
    piecesLength = 0;
    block = undefined;
    throw err;
  };

  /** Stores the start of a PDU that the chunk does not complete: header bytes copied, body bytes as a view. */
  const keepRemainder = (chunk: Uint8Array, from: number): void => {
    const headerBytes = Math.min(pduHeaderLength, chunk.length - from);
    head.set(chunk.subarray(from, from + headerBytes), 0);
    headLength = headerBytes;
    if (headLength === pduHeaderLength) {
      bodyLength = readU32(head, 2);
      if (chunk.length > from + pduHeaderLength) keepPiece(chunk.subarray(from + pduHeaderLength));
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

  const consume = (chunk: Uint8Array): Pdu[] => {
    const out: Pdu[] = [];
    const n = chunk.length;
    let off = 0;

    if (headLength > 0) {
      // Complete the header of the pending PDU.
      if (headLength < pduHeaderLength) {
        const take = Math.min(pduHeaderLength - headLength, n);
        head.set(chunk.subarray(0, take), headLength);
        headLength += take;
        off = take;
        if (headLength < pduHeaderLength) return out;
        bodyLength = readU32(head, 2);
        checkPduHeader(head[0] as number, bodyLength, limits);
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
    if (off < n) keepRemainder(chunk, off);
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
      return headLength + piecesLength;
    },
    get pendingPduLength() {
      return bodyLength >= 0 ? bodyLength : undefined;
    },
    end(): void {
      if (ended) return;
      ended = true;
      if (failure !== undefined) return;
      if (headLength > 0) {
        const got = headLength + piecesLength;
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
