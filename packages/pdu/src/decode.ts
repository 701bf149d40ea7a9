/**
 * PDU decoder, PS3.8 9.3 and PS3.7 Annex D.3.3.
 *
 * Lossless: `encodePdu(decodePdu(bytes))` reproduces `bytes`, through the `preserved` records (see `preserved.ts`).
 * What is rejected and what is tolerated is listed in the package README ("What the decoder accepts"); in short,
 * every length is checked against its container, values the standard tests on receipt are validated, reserved
 * fields and values the standard declares "not tested" are kept but never checked, and unknown items are kept.
 */
import { ByteWriter, argumentError, copyBytes, latin1, readU16, readU32 } from './bytes.js';
import {
  encodeAssociateCanonical,
  isKnownItemType,
  pduHeaderLength,
  writePresentationContextAc,
  writePresentationContextRq,
  writeUserInformation,
} from './encode.js';
import {
  InvalidPduParameterValueError,
  PduTooLargeError,
  TruncatedPduError,
  UnexpectedPduParameterError,
  UnrecognizedPduError,
  UnrecognizedPduParameterError,
} from './errors.js';
import { type Kept, nonZero } from './preserved.js';
import {
  type AAbort,
  type AAssociateAc,
  type AAssociateRj,
  type AAssociateRq,
  type AReleaseRp,
  type AReleaseRq,
  ItemType,
  type PDataTf,
  type Pdu,
  type PduKind,
  type Pdv,
  type PresentationContextAc,
  type PresentationContextResultCode,
  type PresentationContextRq,
  type ScpScuRoleSelection,
  type SopClassCommonExtendedNegotiation,
  type SopClassExtendedNegotiation,
  type UnknownItem,
  type UserIdentityAc,
  type UserIdentityRq,
  type UserInformation,
} from './types.js';
import { isLenientUid, isValidAeTitle } from './validate.js';

/** Options of {@link decodePdu} and of the reader. */
export interface DecodeOptions {
  /**
   * What to do with items and sub-items of unknown type. `'preserve'` (default) follows PS3.8 9.3.1 ("Items of
   * unrecognized types shall be ignored and skipped") and keeps them in `unknownItems` / `unknownSubItems`;
   * `'reject'` throws {@link UnrecognizedPduParameterError} (A-ABORT reason 4), for strict conformance tools.
   */
  readonly unknownItems?: 'preserve' | 'reject';
}

const kinds: readonly (PduKind | undefined)[] = [
  undefined,
  'A-ASSOCIATE-RQ',
  'A-ASSOCIATE-AC',
  'A-ASSOCIATE-RJ',
  'P-DATA-TF',
  'A-RELEASE-RQ',
  'A-RELEASE-RP',
  'A-ABORT',
];

/** The PDU kind of a PDU-type byte (PS3.8 9.3.1), or undefined when the type is not one of the seven. */
export function pduKindOf(pduType: number): PduKind | undefined {
  return kinds[pduType];
}

/** The fixed part of an A-ASSOCIATE-RQ/AC after the PDU header: bytes 7-74 of PS3.8 Table 9-11. */
const associateFixedLength = 68;

function hex(n: number): string {
  return `${n.toString(16).toUpperCase().padStart(2, '0')}H`;
}

/** Limits the reader applies to PDU-length fields; see `createPduReader`. */
export interface PduLengthLimits {
  readonly maxPduLength: number;
  readonly maxAssociatePduLength: number;
}

/**
 * Checks a PDU header as soon as its type byte and PDU-length are known: unknown type, fixed-length PDUs of another
 * length, lengths below a PDU's minimum, and lengths above the limits. Used by the reader before buffering a body.
 */
export function checkPduHeader(pduType: number, length: number, limits: PduLengthLimits | undefined): void {
  const kind = kinds[pduType];
  if (kind === undefined) {
    throw new UnrecognizedPduError(`unrecognized PDU-type ${hex(pduType)} (PS3.8 9.3.1 defines 01H..07H)`, {
      pduType,
      offset: 0,
    });
  }
  switch (kind) {
    case 'A-ASSOCIATE-RJ':
    case 'A-RELEASE-RQ':
    case 'A-RELEASE-RP':
    case 'A-ABORT':
      if (length !== 4) {
        throw new InvalidPduParameterValueError(`${kind}: PDU-length must be 4 (PS3.8 9.3), got ${length}`, {
          pduType,
          offset: 2,
        });
      }
      return;
    case 'P-DATA-TF':
      if (length < 6) {
        throw new InvalidPduParameterValueError(
          `P-DATA-TF: PDU-length ${length} cannot hold a Presentation Data Value item (PS3.8 9.3.5: one or more)`,
          { pduType, offset: 2 },
        );
      }
      if (limits !== undefined && length > limits.maxPduLength) {
        throw new PduTooLargeError(
          `P-DATA-TF: PDU-length ${length} exceeds the Maximum Length Received ${limits.maxPduLength} (PS3.8 D.1)`,
          length,
          limits.maxPduLength,
          { pduType, offset: 2 },
        );
      }
      return;
    default:
      if (length < associateFixedLength) {
        throw new InvalidPduParameterValueError(
          `${kind}: PDU-length ${length} is shorter than its ${associateFixedLength} bytes of fixed fields`,
          { pduType, offset: 2 },
        );
      }
      if (limits !== undefined && length > limits.maxAssociatePduLength) {
        throw new PduTooLargeError(
          `${kind}: PDU-length ${length} exceeds the limit of ${limits.maxAssociatePduLength} for association PDUs`,
          length,
          limits.maxAssociatePduLength,
          { pduType, offset: 2 },
        );
      }
  }
}

/**
 * Decodes one whole PDU (header included) from `bytes`, which must hold exactly that PDU (PS3.8 9.3). The PDV
 * fragments of a P-DATA-TF are views of `bytes`, not copies. Throws a {@link PduError} subclass whose
 * `abortReason` is the A-ABORT reason to send (PS3.8 Table 9-26).
 */
export function decodePdu(bytes: Uint8Array, options?: DecodeOptions): Pdu {
  if (!(bytes instanceof Uint8Array)) throw argumentError('decodePdu expects a Uint8Array');
  if (bytes.length >= 1) checkPduType(bytes[0] as number);
  if (bytes.length < pduHeaderLength) {
    throw new TruncatedPduError(`a PDU header has 6 bytes, got ${bytes.length}`, {
      ...(bytes.length >= 1 ? { pduType: bytes[0] as number } : {}),
    });
  }
  const pduType = bytes[0] as number;
  const length = readU32(bytes, 2);
  checkPduHeader(pduType, length, undefined);
  const available = bytes.length - pduHeaderLength;
  if (available < length) {
    throw new TruncatedPduError(`${kinds[pduType]}: PDU-length is ${length} but only ${available} bytes follow`, {
      pduType,
      offset: bytes.length,
    });
  }
  if (available > length) {
    throw new InvalidPduParameterValueError(
      `${kinds[pduType]}: PDU-length is ${length} but ${available} bytes follow the header`,
      { pduType, offset: pduHeaderLength + length },
    );
  }
  return decodePduAt(bytes, 0, options);
}

function checkPduType(pduType: number): void {
  if (kinds[pduType] === undefined) checkPduHeader(pduType, 0, undefined);
}

/**
 * Decodes the PDU starting at `start` in `buf`, whose header has been checked with {@link checkPduHeader} and whose
 * body lies entirely within `buf`. Internal to the package (used by the reader).
 */
export function decodePduAt(buf: Uint8Array, start: number, options: DecodeOptions | undefined): Pdu {
  const pduType = buf[start] as number;
  const length = readU32(buf, start + 2);
  const end = start + pduHeaderLength + length;
  switch (pduType) {
    case 4:
      return decodePDataTf(buf, start, end);
    case 1:
    case 2:
      return decodeAssociate(buf, start, end, pduType === 1, options?.unknownItems === 'reject');
    case 3:
      return decodeAssociateRj(buf, start);
    case 5:
    case 6:
      return decodeRelease(buf, start, pduType === 5 ? 'A-RELEASE-RQ' : 'A-RELEASE-RP');
    default:
      return decodeAbort(buf, start);
  }
}

function decodePDataTf(buf: Uint8Array, start: number, end: number): PDataTf {
  const pdvs: Pdv[] = [];
  let at = start + pduHeaderLength;
  while (at < end) {
    if (end - at < 6) {
      throw new InvalidPduParameterValueError(
        `P-DATA-TF: ${end - at} bytes left at offset ${at - start}, too few for a Presentation Data Value item`,
        { pduType: 4, offset: at - start },
      );
    }
    const itemLength = readU32(buf, at);
    if (itemLength < 2) {
      throw new InvalidPduParameterValueError(
        `P-DATA-TF: PDV Item-length ${itemLength} is below 2 (presentation-context-ID and message control header)`,
        { pduType: 4, offset: at - start },
      );
    }
    if (itemLength > end - at - 4) {
      throw new InvalidPduParameterValueError(
        `P-DATA-TF: PDV Item-length ${itemLength} runs past the end of the PDU (${end - at - 4} bytes left)`,
        { pduType: 4, offset: at - start },
      );
    }
    const id = buf[at + 4] as number;
    if ((id & 1) === 0) {
      throw new InvalidPduParameterValueError(
        `P-DATA-TF: presentation-context-ID ${id} is not an odd integer 1..255 (PS3.8 9.3.5.1)`,
        { pduType: 4, offset: at + 4 - start },
      );
    }
    const mch = buf[at + 5] as number;
    const data = buf.subarray(at + 6, at + 4 + itemLength);
    if ((mch & 0xfc) === 0) {
      pdvs.push({ presentationContextId: id, isCommand: (mch & 1) === 1, isLast: (mch & 2) === 2, data });
    } else {
      pdvs.push({
        presentationContextId: id,
        isCommand: (mch & 1) === 1,
        isLast: (mch & 2) === 2,
        data,
        preserved: { reserved: Uint8Array.of(mch & 0xfc) } satisfies Kept,
      });
    }
    at += 4 + itemLength;
  }
  const reserved = buf[start + 1] as number;
  return reserved === 0
    ? { kind: 'P-DATA-TF', pdvs }
    : { kind: 'P-DATA-TF', pdvs, preserved: { reserved: Uint8Array.of(reserved) } satisfies Kept };
}

function reservedRecord(bytes: number[]): { preserved?: Kept } {
  const r = nonZero(Uint8Array.from(bytes));
  return r === undefined ? {} : { preserved: { reserved: r } };
}

function decodeAssociateRj(buf: Uint8Array, start: number): AAssociateRj {
  // Result, source and reason are not range-checked: the receiver of a rejection closes the connection whatever
  // the values (PS3.8 9.2, AE-4), so there is nothing to gain from refusing odd ones.
  return {
    kind: 'A-ASSOCIATE-RJ',
    result: buf[start + 7] as number,
    source: buf[start + 8] as number,
    reason: buf[start + 9] as number,
    ...reservedRecord([buf[start + 1] as number, buf[start + 6] as number]),
  };
}

function decodeRelease<K extends 'A-RELEASE-RQ' | 'A-RELEASE-RP'>(
  buf: Uint8Array,
  start: number,
  kind: K,
): AReleaseRq | AReleaseRp {
  return {
    kind,
    ...reservedRecord([buf[start + 1], buf[start + 6], buf[start + 7], buf[start + 8], buf[start + 9]] as number[]),
  };
}

function decodeAbort(buf: Uint8Array, start: number): AAbort {
  // Source and reason are not range-checked: an A-ABORT ends the association whatever they say (PS3.8 9.2, AA-3).
  return {
    kind: 'A-ABORT',
    source: buf[start + 8] as number,
    reason: buf[start + 9] as number,
    ...reservedRecord([buf[start + 1], buf[start + 6], buf[start + 7]] as number[]),
  };
}

/** Parsing state of one A-ASSOCIATE-RQ/AC, for error reports. */
interface Ctx {
  readonly buf: Uint8Array;
  readonly start: number;
  readonly pduType: number;
  readonly kind: 'A-ASSOCIATE-RQ' | 'A-ASSOCIATE-AC';
  readonly isRq: boolean;
  readonly rejectUnknown: boolean;
}

function invalid(ctx: Ctx, at: number, message: string): never {
  throw new InvalidPduParameterValueError(`${ctx.kind}: ${message}`, {
    pduType: ctx.pduType,
    offset: at - ctx.start,
  });
}

function unexpected(ctx: Ctx, at: number, message: string): never {
  throw new UnexpectedPduParameterError(`${ctx.kind}: ${message}`, { pduType: ctx.pduType, offset: at - ctx.start });
}

function show(s: string): string {
  const j = JSON.stringify(s);
  return j.length > 80 ? `${j.slice(0, 77)}...` : j;
}

/** Iterates over the items in `[from, to)`, checking that each item header and value fits the container. */
function forEachItem(
  ctx: Ctx,
  from: number,
  to: number,
  container: string,
  visit: (type: number, itemStart: number, valueStart: number, valueEnd: number) => void,
): void {
  const b = ctx.buf;
  let at = from;
  while (at < to) {
    if (to - at < 4) invalid(ctx, at, `${to - at} stray bytes at the end of ${container}, too few for an item header`);
    const type = b[at] as number;
    const length = readU16(b, at + 2);
    if (length > to - at - 4) {
      invalid(
        ctx,
        at,
        `item ${hex(type)}: Item-length ${length} exceeds the ${to - at - 4} bytes left in ${container}`,
      );
    }
    visit(type, at, at + 4, at + 4 + length);
    at += 4 + length;
  }
}

/** Reads a UID value: trailing NUL and space padding removed; checked with `isLenientUid` when `tested`. */
function readUid(ctx: Ctx, from: number, to: number, tested: boolean, what: string): string {
  const b = ctx.buf;
  let end = to;
  while (end > from && (b[end - 1] === 0 || b[end - 1] === 0x20)) end--;
  const uid = latin1(b, from, end);
  if (tested && !isLenientUid(uid)) invalid(ctx, from, `${what} ${show(uid)} is not a UID of 1..64 digits and dots`);
  return uid;
}

/** Reads a 16-byte AE title field: leading spaces, trailing spaces and trailing NULs removed. */
function readAeTitle(ctx: Ctx, at: number, tested: boolean, what: string): string {
  const b = ctx.buf;
  let end = at + 16;
  while (end > at && (b[end - 1] === 0x20 || b[end - 1] === 0)) end--;
  let from = at;
  while (from < end && b[from] === 0x20) from++;
  const title = latin1(b, from, end);
  if (tested && !isValidAeTitle(title)) {
    invalid(
      ctx,
      at,
      `${what} ${show(latin1(b, at, at + 16))} is not 1..16 characters of ISO 646 G0 (no backslash, not all spaces)`,
    );
  }
  return title;
}

function unknownItem(ctx: Ctx, type: number, itemStart: number, vs: number, ve: number, where: string): UnknownItem {
  if (ctx.rejectUnknown) {
    throw new UnrecognizedPduParameterError(`${ctx.kind}: item of unrecognized type ${hex(type)} in ${where}`, {
      pduType: ctx.pduType,
      offset: itemStart - ctx.start,
    });
  }
  return { itemType: type, data: copyBytes(ctx.buf, vs, ve) };
}

/** Reused for the canonical encoding of each decoded item (decoding is synchronous and not re-entrant). */
const scratch = new ByteWriter(4096);

/** Sets `canonical`/`raw` on a decoded item when its received bytes differ from the encoder's output for it. */
function keepRawIfNeeded<T extends { readonly preserved?: unknown }>(
  item: T,
  write: (w: ByteWriter, item: T) => void,
  buf: Uint8Array,
  from: number,
  to: number,
): T {
  const w = scratch.reset();
  write(w, item);
  if (w.pos === to - from) {
    let same = true;
    for (let i = 0; i < w.pos; i++) {
      if (w.buf[i] !== buf[from + i]) {
        same = false;
        break;
      }
    }
    if (same) return item;
  }
  const kept: Kept = { ...(item.preserved as Kept | undefined), canonical: w.result(), raw: copyBytes(buf, from, to) };
  return { ...item, preserved: kept };
}

function decodePresentationContextRq(ctx: Ctx, itemStart: number, vs: number, ve: number): PresentationContextRq {
  const b = ctx.buf;
  if (ve - vs < 4) invalid(ctx, itemStart, `Presentation Context item of ${ve - vs} bytes, shorter than 4`);
  const id = b[vs] as number;
  if ((id & 1) === 0) {
    invalid(ctx, vs, `presentation-context-ID ${id} is not an odd integer 1..255 (PS3.8 9.3.2.2)`);
  }
  const where = `Presentation Context item ${id}`;
  let abstractSyntax: string | undefined;
  const transferSyntaxes: string[] = [];
  const unknown: UnknownItem[] = [];
  forEachItem(ctx, vs + 4, ve, where, (type, is, s, e) => {
    if (type === ItemType.AbstractSyntax) {
      if (abstractSyntax !== undefined) unexpected(ctx, is, `${where} has a second Abstract Syntax sub-item`);
      abstractSyntax = readUid(ctx, s, e, true, `${where}: abstract syntax`);
    } else if (type === ItemType.TransferSyntax) {
      transferSyntaxes.push(readUid(ctx, s, e, true, `${where}: transfer syntax`));
    } else if (isKnownItemType(type)) {
      unexpected(ctx, is, `item ${hex(type)} is not allowed in ${where} of an A-ASSOCIATE-RQ`);
    } else {
      unknown.push(unknownItem(ctx, type, is, s, e, where));
    }
  });
  if (abstractSyntax === undefined) invalid(ctx, itemStart, `${where} has no Abstract Syntax sub-item`);
  const reserved = nonZero(
    Uint8Array.of(b[itemStart + 1] as number, b[vs + 1] as number, b[vs + 2] as number, b[vs + 3] as number),
  );
  const pc: PresentationContextRq = {
    id,
    abstractSyntax,
    transferSyntaxes,
    ...(unknown.length > 0 ? { unknownSubItems: unknown } : {}),
    ...(reserved !== undefined ? { preserved: { reserved } satisfies Kept } : {}),
  };
  return keepRawIfNeeded(pc, (w, x) => writePresentationContextRq(w, x, where), b, itemStart, ve);
}

function decodePresentationContextAc(ctx: Ctx, itemStart: number, vs: number, ve: number): PresentationContextAc {
  const b = ctx.buf;
  if (ve - vs < 4) invalid(ctx, itemStart, `Presentation Context item of ${ve - vs} bytes, shorter than 4`);
  const id = b[vs] as number;
  if ((id & 1) === 0) {
    invalid(ctx, vs, `presentation-context-ID ${id} is not an odd integer 1..255 (PS3.8 9.3.3.2)`);
  }
  const result = b[vs + 2] as number;
  if (result > 4)
    invalid(ctx, vs + 2, `Result/Reason ${result} of Presentation Context ${id} is not 0..4 (PS3.8 Table 9-18)`);
  const where = `Presentation Context item ${id}`;
  let transferSyntax: string | undefined;
  const unknown: UnknownItem[] = [];
  forEachItem(ctx, vs + 4, ve, where, (type, is, s, e) => {
    if (type === ItemType.TransferSyntax) {
      if (transferSyntax !== undefined) unexpected(ctx, is, `${where} has a second Transfer Syntax sub-item`);
      // Not significant, and not tested, when the context is not accepted (PS3.8 9.3.3.2).
      transferSyntax = readUid(ctx, s, e, result === 0, `${where}: transfer syntax`);
    } else if (isKnownItemType(type)) {
      unexpected(ctx, is, `item ${hex(type)} is not allowed in ${where} of an A-ASSOCIATE-AC`);
    } else {
      unknown.push(unknownItem(ctx, type, is, s, e, where));
    }
  });
  if (result === 0 && transferSyntax === undefined) {
    invalid(ctx, itemStart, `${where} is accepted but has no Transfer Syntax sub-item`);
  }
  const reserved = nonZero(Uint8Array.of(b[itemStart + 1] as number, b[vs + 1] as number, b[vs + 3] as number));
  const pc: PresentationContextAc = {
    id,
    result: result as PresentationContextResultCode,
    ...(transferSyntax !== undefined ? { transferSyntax } : {}),
    ...(unknown.length > 0 ? { unknownSubItems: unknown } : {}),
    ...(reserved !== undefined ? { preserved: { reserved } satisfies Kept } : {}),
  };
  return keepRawIfNeeded(pc, (w, x) => writePresentationContextAc(w, x, where), b, itemStart, ve);
}

/** Reads a 16-bit length and the UID after it, inside a sub-item ending at `to`. Returns the UID and its end. */
function readPrefixedUid(ctx: Ctx, at: number, to: number, what: string): [string, number] {
  if (to - at < 2) invalid(ctx, at, `${what}: length field runs past the end of its sub-item`);
  const length = readU16(ctx.buf, at);
  if (length > to - at - 2) invalid(ctx, at, `${what}: length ${length} runs past the end of its sub-item`);
  return [readUid(ctx, at + 2, at + 2 + length, true, what), at + 2 + length];
}

function decodeUserInformation(ctx: Ctx, itemStart: number, vs: number, ve: number): UserInformation {
  const b = ctx.buf;
  const { isRq } = ctx;
  let maximumLength: number | undefined;
  let implementationClassUid: string | undefined;
  let implementationVersionName: string | undefined;
  let asynchronousOperationsWindow: UserInformation['asynchronousOperationsWindow'];
  const roleSelections: ScpScuRoleSelection[] = [];
  const extended: SopClassExtendedNegotiation[] = [];
  const common: SopClassCommonExtendedNegotiation[] = [];
  let userIdentity: UserIdentityRq | undefined;
  let userIdentityResponse: UserIdentityAc | undefined;
  const unknown: UnknownItem[] = [];
  const where = 'User Information item';
  const once = (present: boolean, is: number, name: string) => {
    if (present) unexpected(ctx, is, `a second ${name} sub-item in the ${where}`);
  };
  const exact = (is: number, length: number, expected: number, name: string) => {
    if (length !== expected) invalid(ctx, is, `${name} sub-item has Item-length ${length}, expected ${expected}`);
  };

  forEachItem(ctx, vs, ve, where, (type, is, s, e) => {
    const length = e - s;
    switch (type) {
      case ItemType.MaximumLength:
        once(maximumLength !== undefined, is, 'Maximum Length');
        exact(is, length, 4, 'Maximum Length');
        maximumLength = readU32(b, s);
        return;
      case ItemType.ImplementationClassUid:
        once(implementationClassUid !== undefined, is, 'Implementation Class UID');
        implementationClassUid = readUid(ctx, s, e, true, 'Implementation Class UID');
        return;
      case ItemType.AsynchronousOperationsWindow:
        once(asynchronousOperationsWindow !== undefined, is, 'Asynchronous Operations Window');
        exact(is, length, 4, 'Asynchronous Operations Window');
        asynchronousOperationsWindow = {
          maxOperationsInvoked: readU16(b, s),
          maxOperationsPerformed: readU16(b, s + 2),
        };
        return;
      case ItemType.ScpScuRoleSelection: {
        const [sopClassUid, at] = readPrefixedUid(ctx, s, e, 'SCP/SCU Role Selection: SOP class UID');
        exact(is, length, at - s + 2, 'SCP/SCU Role Selection');
        roleSelections.push({ sopClassUid, scuRole: b[at] as number, scpRole: b[at + 1] as number });
        return;
      }
      case ItemType.ImplementationVersionName:
        once(implementationVersionName !== undefined, is, 'Implementation Version Name');
        // Not validated: 1..16 ISO 646 characters per PS3.7 D.3.3.2, but nothing depends on it.
        implementationVersionName = latin1(b, s, e);
        return;
      case ItemType.SopClassExtendedNegotiation: {
        const [sopClassUid, at] = readPrefixedUid(ctx, s, e, 'SOP Class Extended Negotiation: SOP class UID');
        extended.push({ sopClassUid, serviceClassApplicationInformation: copyBytes(b, at, e) });
        return;
      }
      case ItemType.SopClassCommonExtendedNegotiation: {
        if (!isRq) unexpected(ctx, is, 'SOP Class Common Extended Negotiation is only allowed in an A-ASSOCIATE-RQ');
        const name = 'SOP Class Common Extended Negotiation';
        const [sopClassUid, a1] = readPrefixedUid(ctx, s, e, `${name}: SOP class UID`);
        const [serviceClassUid, a2] = readPrefixedUid(ctx, a1, e, `${name}: service class UID`);
        if (e - a2 < 2) invalid(ctx, a2, `${name}: related general SOP class identification length is missing`);
        const relatedLength = readU16(b, a2);
        const relatedEnd = a2 + 2 + relatedLength;
        if (relatedEnd !== e) {
          invalid(
            ctx,
            a2,
            `${name}: related general SOP class identification length ${relatedLength} does not fill the sub-item`,
          );
        }
        const relatedGeneralSopClassUids: string[] = [];
        let at = a2 + 2;
        while (at < relatedEnd) {
          const [uid, next] = readPrefixedUid(ctx, at, relatedEnd, `${name}: related general SOP class UID`);
          relatedGeneralSopClassUids.push(uid);
          at = next;
        }
        common.push({ sopClassUid, serviceClassUid, relatedGeneralSopClassUids });
        return;
      }
      case ItemType.UserIdentityRq: {
        if (!isRq) unexpected(ctx, is, 'a User Identity request sub-item (58H) is only allowed in an A-ASSOCIATE-RQ');
        once(userIdentity !== undefined, is, 'User Identity');
        const name = 'User Identity';
        if (length < 4) invalid(ctx, is, `${name} sub-item has Item-length ${length}, shorter than 6`);
        const primaryLength = readU16(b, s + 2);
        const secondaryAt = s + 4 + primaryLength;
        if (secondaryAt + 2 > e)
          invalid(ctx, s + 2, `${name}: primary-field-length ${primaryLength} runs past the sub-item`);
        const secondaryLength = readU16(b, secondaryAt);
        exact(is, length, 6 + primaryLength + secondaryLength, name);
        userIdentity = {
          userIdentityType: b[s] as number,
          positiveResponseRequested: b[s + 1] !== 0,
          primaryField: copyBytes(b, s + 4, secondaryAt),
          secondaryField: copyBytes(b, secondaryAt + 2, secondaryAt + 2 + secondaryLength),
        };
        return;
      }
      case ItemType.UserIdentityAc: {
        if (isRq) unexpected(ctx, is, 'a User Identity response sub-item (59H) is only allowed in an A-ASSOCIATE-AC');
        once(userIdentityResponse !== undefined, is, 'User Identity response');
        if (length < 2) invalid(ctx, is, `User Identity response sub-item has Item-length ${length}, shorter than 2`);
        const responseLength = readU16(b, s);
        exact(is, length, 2 + responseLength, 'User Identity response');
        userIdentityResponse = { serverResponse: copyBytes(b, s + 2, e) };
        return;
      }
      default:
        if (isKnownItemType(type)) unexpected(ctx, is, `item ${hex(type)} is not allowed in the ${where}`);
        unknown.push(unknownItem(ctx, type, is, s, e, `the ${where}`));
    }
  });

  const reserved = nonZero(Uint8Array.of(b[itemStart + 1] as number));
  const ui: UserInformation = {
    ...(maximumLength !== undefined ? { maximumLength } : {}),
    ...(implementationClassUid !== undefined ? { implementationClassUid } : {}),
    ...(implementationVersionName !== undefined ? { implementationVersionName } : {}),
    ...(asynchronousOperationsWindow !== undefined ? { asynchronousOperationsWindow } : {}),
    ...(roleSelections.length > 0 ? { roleSelections } : {}),
    ...(extended.length > 0 ? { sopClassExtendedNegotiations: extended } : {}),
    ...(common.length > 0 ? { sopClassCommonExtendedNegotiations: common } : {}),
    ...(userIdentity !== undefined ? { userIdentity } : {}),
    ...(userIdentityResponse !== undefined ? { userIdentityResponse } : {}),
    ...(unknown.length > 0 ? { unknownSubItems: unknown } : {}),
    ...(reserved !== undefined ? { preserved: { reserved } satisfies Kept } : {}),
  };
  return keepRawIfNeeded(ui, (w, x) => writeUserInformation(w, x, isRq, where), b, itemStart, ve);
}

function decodeAssociate(
  buf: Uint8Array,
  start: number,
  end: number,
  isRq: boolean,
  rejectUnknown: boolean,
): AAssociateRq | AAssociateAc {
  const kind = isRq ? 'A-ASSOCIATE-RQ' : 'A-ASSOCIATE-AC';
  const ctx: Ctx = { buf, start, pduType: isRq ? 1 : 2, kind, isRq, rejectUnknown };
  // Protocol-version is not checked here: a version without bit 0 is answered with an A-ASSOCIATE-RJ
  // (protocol-version-not-supported, PS3.8 9.3.4), which is the association layer's decision.
  const protocolVersion = readU16(buf, start + 6);
  // In an A-ASSOCIATE-AC the AE title fields are reserved and "not tested when received" (PS3.8 9.3.3).
  const calledAeTitle = readAeTitle(ctx, start + 10, isRq, 'Called-AE-title');
  const callingAeTitle = readAeTitle(ctx, start + 26, isRq, 'Calling-AE-title');

  let applicationContextName: string | undefined;
  const presentationContexts: (PresentationContextRq | PresentationContextAc)[] = [];
  let userInformation: UserInformation | undefined;
  const unknown: UnknownItem[] = [];
  const pcType = isRq ? ItemType.PresentationContextRq : ItemType.PresentationContextAc;
  forEachItem(ctx, start + 74, end, kind, (type, is, s, e) => {
    if (type === ItemType.ApplicationContext) {
      if (applicationContextName !== undefined) unexpected(ctx, is, 'a second Application Context item');
      applicationContextName = readUid(ctx, s, e, true, 'Application Context Name');
    } else if (type === pcType) {
      presentationContexts.push(
        isRq ? decodePresentationContextRq(ctx, is, s, e) : decodePresentationContextAc(ctx, is, s, e),
      );
    } else if (type === ItemType.UserInformation) {
      if (userInformation !== undefined) unexpected(ctx, is, 'a second User Information item');
      userInformation = decodeUserInformation(ctx, is, s, e);
    } else if (isKnownItemType(type)) {
      unexpected(ctx, is, `item ${hex(type)} is not allowed in an ${kind}`);
    } else {
      unknown.push(unknownItem(ctx, type, is, s, e, `the ${kind}`));
    }
  });
  if (applicationContextName === undefined) invalid(ctx, start + 74, 'no Application Context item (PS3.8 9.3.2)');
  if (userInformation === undefined) invalid(ctx, start + 74, 'no User Information item (PS3.8 9.3.2)');

  const reservedBytes = new Uint8Array(35);
  reservedBytes[0] = buf[start + 1] as number;
  reservedBytes[1] = buf[start + 8] as number;
  reservedBytes[2] = buf[start + 9] as number;
  reservedBytes.set(buf.subarray(start + 42, start + 74), 3);
  const reserved = nonZero(reservedBytes);
  const pdu = {
    kind,
    protocolVersion,
    calledAeTitle,
    callingAeTitle,
    applicationContextName,
    presentationContexts,
    userInformation,
    ...(unknown.length > 0 ? { unknownItems: unknown } : {}),
    ...(reserved !== undefined ? { preserved: { reserved } satisfies Kept } : {}),
  } as AAssociateRq | AAssociateAc;
  const canonical = encodeAssociateCanonical(pdu);
  if (canonical.length === end - start) {
    let same = true;
    for (let i = 0; i < canonical.length; i++) {
      if (canonical[i] !== buf[start + i]) {
        same = false;
        break;
      }
    }
    if (same) return pdu;
  }
  const kept: Kept = { ...(pdu.preserved as Kept | undefined), canonical, raw: copyBytes(buf, start, end) };
  return { ...pdu, preserved: kept };
}
