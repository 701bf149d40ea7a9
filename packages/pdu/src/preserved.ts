/**
 * The internal shape of the opaque `preserved` records (see `types.ts`). Two mechanisms:
 *
 * - `reserved`: the bytes of the structure's reserved fields, kept when any is non-zero. They never conflict with a
 *   typed field, so the encoder always writes them back. Layout per structure:
 *   A-ASSOCIATE-RQ/AC 35 bytes (PDU byte 2, bytes 9-10, bytes 43-74); A-ASSOCIATE-RJ 2 (bytes 2, 7); P-DATA-TF 1
 *   (byte 2); A-RELEASE-RQ/RP 5 (bytes 2, 7-10); A-ABORT 3 (bytes 2, 7, 8); Presentation Context item of an RQ 4
 *   (item bytes 2, 6, 7, 8) and of an AC 3 (item bytes 2, 6, 8); User Information item 1 (item byte 2); PDV 1 (the
 *   message control header with bits 0 and 1 cleared).
 * - `canonical` + `raw`: when the received bytes of an A-ASSOCIATE-RQ/AC, a Presentation Context item or a User
 *   Information item differ from what the encoder makes of the decoded fields (item order, reserved bytes of
 *   sub-items, NUL-padded UIDs, AE titles with leading spaces...), `raw` keeps the received bytes and `canonical`
 *   what the encoder produced from the decoded fields at that time. The encoder writes `raw` instead of its own
 *   output exactly when its output still equals `canonical`, that is while the typed fields are unchanged.
 *
 * Anything else found in a `preserved` record is ignored, so a hand-made or stale record can never make the encoder
 * write bytes that disagree with the typed fields.
 */
import type { Preserved } from './types.js';

export type Kept = {
  readonly reserved?: Uint8Array;
  readonly canonical?: Uint8Array;
  readonly raw?: Uint8Array;
};

/** The reserved bytes of a structure when the record holds exactly `n` of them. */
export function keptReserved(p: Preserved | undefined, n: number): Uint8Array | undefined {
  const r = p?.['reserved'];
  return r instanceof Uint8Array && r.length === n ? r : undefined;
}

/** The raw bytes to substitute and the canonical bytes they stand for, when the record holds both. */
export function keptRaw(p: Preserved | undefined): { canonical: Uint8Array; raw: Uint8Array } | undefined {
  const canonical = p?.['canonical'];
  const raw = p?.['raw'];
  return canonical instanceof Uint8Array && raw instanceof Uint8Array ? { canonical, raw } : undefined;
}

/** `reserved` when any of its bytes is non-zero, else undefined. */
export function nonZero(reserved: Uint8Array): Uint8Array | undefined {
  for (let i = 0; i < reserved.length; i++) if (reserved[i] !== 0) return reserved;
  return undefined;
}
