/**
 * PDU encoder, PS3.8 9.3 and PS3.7 Annex D.3.3.
 *
 * New PDUs are written in canonical form: items in increasing order of item type (PS3.8 9.3.1; also what older peers
 * expect of User Information sub-items, PS3.8 9.3.2.3; unknown items are merged in without being reordered among
 * themselves), AE titles padded with trailing spaces to 16 bytes, UIDs
 * without padding, reserved fields zero. Decoded PDUs are written back byte for byte through their `preserved`
 * records (see `preserved.ts`), as long as their typed fields are unchanged.
 *
 * The encoder enforces exactly what the decoder enforces (odd presentation context IDs, AE titles of an
 * A-ASSOCIATE-RQ, UIDs of digits and dots, lengths that fit their fields...), so that whatever it writes decodes, and
 * whatever was decoded can be written again. Violations throw {@link InvalidPduFieldError}.
 */
import { ByteWriter, copyBytes, isLatin1, writeU32 } from './bytes.js';
import { InvalidPduFieldError } from './errors.js';
import { keptRaw, keptReserved } from './preserved.js';
import {
  type AAbort,
  type AAssociateAc,
  type AAssociateRj,
  type AAssociateRq,
  type AReleaseRp,
  type AReleaseRq,
  ItemType,
  type PDataTf,
  type PresentationContextAc,
  type PresentationContextRq,
  type Pdu,
  PduType,
  type UnknownItem,
  type UserInformation,
} from './types.js';
import { isLenientUid, isValidAeTitle } from './validate.js';

/** Bytes of a PDU header: PDU-type, reserved, 4-byte PDU-length (PS3.8 9.3.1). */
export const pduHeaderLength = 6;

/**
 * Bytes a PDV item adds to its fragment inside a P-DATA-TF (PS3.8 9.3.5.1 and Annex E.2): 4-byte Item-length,
 * Presentation-context-ID and Message Control Header.
 */
export const pdvOverhead = 6;

/**
 * The PDU-length field (the variable field, header not counted) of a P-DATA-TF carrying PDVs with fragments of the
 * given sizes. This is the number PS3.8 D.1 compares with the receiver's Maximum Length Received.
 */
export function pDataTfLength(pdvDataLengths: readonly number[]): number {
  let total = 0;
  for (const n of pdvDataLengths) total += pdvOverhead + n;
  return total;
}

/**
 * The largest fragment one PDV can carry in a P-DATA-TF that holds only that PDV, when the peer's Maximum Length
 * Received is `maxPduLength` (PS3.8 D.1: the limit applies to the variable field). `maxPduLength` 0 means "no
 * maximum" (PS3.8 D.1); the result is then the largest PDV the 32-bit PDU-length field allows.
 */
export function maxPdvDataLength(maxPduLength: number): number {
  if (!Number.isInteger(maxPduLength) || maxPduLength < 0 || maxPduLength > 0xffffffff) {
    throw new InvalidPduFieldError(`maxPduLength must be an integer 0..4294967295, got ${String(maxPduLength)}`);
  }
  const limit = maxPduLength === 0 ? 0xffffffff : maxPduLength;
  if (limit <= pdvOverhead) {
    throw new InvalidPduFieldError(`maxPduLength ${maxPduLength} leaves no room for a PDV fragment`);
  }
  return limit - pdvOverhead;
}

function fail(message: string): never {
  throw new InvalidPduFieldError(message);
}

function checkInt(v: unknown, max: number, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) {
    fail(`${what} must be an integer 0..${max}, got ${String(v)}`);
  }
  return v;
}

function checkPcid(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 255 || (v & 1) === 0) {
    fail(`${what}: presentation-context-ID must be an odd integer 1..255 (PS3.8 9.3.2.2), got ${String(v)}`);
  }
  return v;
}

function checkBytes(v: unknown, what: string): Uint8Array {
  if (!(v instanceof Uint8Array)) fail(`${what} must be a Uint8Array`);
  return v;
}

function show(v: unknown): string {
  const s = typeof v === 'string' ? JSON.stringify(v) : String(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function checkUid(v: unknown, what: string): string {
  if (typeof v !== 'string' || !isLenientUid(v)) fail(`${what} must be a UID of 1..64 digits and dots, got ${show(v)}`);
  return v;
}

/** Starts an item: type, reserved byte, 16-bit length placeholder. Returns the item's start. */
function beginItem(w: ByteWriter, type: number, reserved = 0): number {
  const start = w.pos;
  w.u8(type);
  w.u8(reserved);
  w.u16(0);
  return start;
}

function endItem(w: ByteWriter, start: number, what: string): void {
  const len = w.pos - start - 4;
  if (len > 0xffff) fail(`${what}: item length ${len} exceeds the 16-bit Item-length field`);
  w.patchU16(start + 2, len);
}

/** Replaces what was just written from `start` by the preserved raw bytes when it equals the preserved canonical. */
function substitute(w: ByteWriter, start: number, preserved: PresentationContextRq['preserved']): void {
  const kept = keptRaw(preserved);
  if (kept === undefined) return;
  const { canonical, raw } = kept;
  if (w.pos - start !== canonical.length) return;
  for (let i = 0; i < canonical.length; i++) if (w.buf[start + i] !== canonical[i]) return;
  w.pos = start;
  w.bytes(raw);
}

function writeUidItem(w: ByteWriter, type: number, uid: unknown, what: string): void {
  const s = checkUid(uid, what);
  w.u8(type);
  w.u8(0);
  w.u16(s.length);
  w.latin1(s);
}

/** A 16-bit length followed by a UID, as used inside PS3.7 D.3.3.4-D.3.3.6 sub-items. */
function writeLengthPrefixedUid(w: ByteWriter, uid: unknown, what: string): void {
  const s = checkUid(uid, what);
  w.u16(s.length);
  w.latin1(s);
}

const knownItemTypes: ReadonlySet<number> = new Set(Object.values(ItemType));

/** True when `type` is one of the item and sub-item types this codec knows (PS3.8 9.3, PS3.7 D.3.3). */
export function isKnownItemType(type: number): boolean {
  return knownItemTypes.has(type);
}

function writeUnknownItem(w: ByteWriter, item: UnknownItem, what: string): void {
  const type = checkInt(item?.itemType, 0xff, `${what}: itemType`);
  if (knownItemTypes.has(type)) {
    fail(`${what}: item type ${hex(type)} is a known item type; put it in its typed field, not among unknown items`);
  }
  const data = checkBytes(item.data, `${what}: data`);
  if (data.length > 0xffff) fail(`${what}: ${data.length} bytes exceed the 16-bit Item-length field`);
  w.u8(type);
  w.u8(0);
  w.u16(data.length);
  w.bytes(data);
}

function hex(n: number): string {
  return `${n.toString(16).toUpperCase().padStart(2, '0')}H`;
}

/**
 * Writes the unknown items of a container in between its known items so that the result is in increasing order of
 * item type (PS3.8 9.3.1) without reordering the unknown items among themselves: before each known item of type T,
 * `before(T)` writes the pending unknown items of a lower type; `rest()` writes the others at the end. Known items
 * are written in increasing type order by construction. Sorted unknown items thus end up in increasing order too,
 * and a decoder gives back the unknown items in the order they were given.
 */
interface UnknownMerger {
  before(type: number): void;
  rest(): void;
}

const noUnknown: UnknownMerger = { before() {}, rest() {} };

function unknownMerger(w: ByteWriter, items: readonly UnknownItem[] | undefined, what: string): UnknownMerger {
  if (items === undefined || (Array.isArray(items) && items.length === 0)) return noUnknown;
  if (!Array.isArray(items)) fail(`${what} must be an array`);
  let next = 0;
  return {
    before(type) {
      while (next < items.length) {
        const item = items[next] as UnknownItem;
        if (!(typeof item?.itemType === 'number' && item.itemType < type)) return;
        writeUnknownItem(w, item, `${what}[${next}]`);
        next++;
      }
    },
    rest() {
      while (next < items.length) {
        writeUnknownItem(w, items[next] as UnknownItem, `${what}[${next}]`);
        next++;
      }
    },
  };
}

/** Presentation Context item of an A-ASSOCIATE-RQ, PS3.8 9.3.2.2. */
export function writePresentationContextRq(w: ByteWriter, pc: PresentationContextRq, what: string): void {
  const r = keptReserved(pc?.preserved, 4);
  const start = beginItem(w, ItemType.PresentationContextRq, r?.[0] ?? 0);
  w.u8(checkPcid(pc.id, what));
  w.u8(r?.[1] ?? 0);
  w.u8(r?.[2] ?? 0);
  w.u8(r?.[3] ?? 0);
  if (!Array.isArray(pc.transferSyntaxes)) fail(`${what}: transferSyntaxes must be an array`);
  const unknown = unknownMerger(w, pc.unknownSubItems, `${what}: unknownSubItems`);
  unknown.before(ItemType.AbstractSyntax);
  writeUidItem(w, ItemType.AbstractSyntax, pc.abstractSyntax, `${what}: abstractSyntax`);
  unknown.before(ItemType.TransferSyntax);
  for (let i = 0; i < pc.transferSyntaxes.length; i++) {
    writeUidItem(w, ItemType.TransferSyntax, pc.transferSyntaxes[i], `${what}: transferSyntaxes[${i}]`);
  }
  unknown.rest();
  endItem(w, start, what);
  substitute(w, start, pc.preserved);
}

/** Presentation Context item of an A-ASSOCIATE-AC, PS3.8 9.3.3.2. */
export function writePresentationContextAc(w: ByteWriter, pc: PresentationContextAc, what: string): void {
  const r = keptReserved(pc?.preserved, 3);
  const start = beginItem(w, ItemType.PresentationContextAc, r?.[0] ?? 0);
  w.u8(checkPcid(pc.id, what));
  w.u8(r?.[1] ?? 0);
  const result = checkInt(pc.result, 4, `${what}: result`);
  w.u8(result);
  w.u8(r?.[2] ?? 0);
  const unknown = unknownMerger(w, pc.unknownSubItems, `${what}: unknownSubItems`);
  unknown.before(ItemType.TransferSyntax);
  if (result === 0) {
    writeUidItem(w, ItemType.TransferSyntax, pc.transferSyntax, `${what}: transferSyntax`);
  } else if (pc.transferSyntax !== undefined) {
    // Not significant and not tested when the context is rejected (PS3.8 9.3.3.2): written as given.
    const ts = pc.transferSyntax;
    if (typeof ts !== 'string' || !isLatin1(ts) || ts.length > 0xffff) {
      fail(`${what}: transferSyntax must be a string of 8-bit characters`);
    }
    w.u8(ItemType.TransferSyntax);
    w.u8(0);
    w.u16(ts.length);
    w.latin1(ts);
  }
  unknown.rest();
  endItem(w, start, what);
  substitute(w, start, pc.preserved);
}

/** User Information item, PS3.8 9.3.2.3 / 9.3.3.3, with the sub-items of PS3.8 D.1 and PS3.7 D.3.3. */
export function writeUserInformation(w: ByteWriter, ui: UserInformation, isRq: boolean, what: string): void {
  if (typeof ui !== 'object' || ui === null) fail(`${what} must be an object`);
  const r = keptReserved(ui.preserved, 1);
  const start = beginItem(w, ItemType.UserInformation, r?.[0] ?? 0);
  const unknown = unknownMerger(w, ui.unknownSubItems, `${what}: unknownSubItems`);

  if (ui.maximumLength !== undefined) {
    const v = checkInt(ui.maximumLength, 0xffffffff, `${what}: maximumLength`);
    unknown.before(ItemType.MaximumLength);
    w.u8(ItemType.MaximumLength);
    w.u8(0);
    w.u16(4);
    w.u32(v);
  }
  if (ui.implementationClassUid !== undefined) {
    unknown.before(ItemType.ImplementationClassUid);
    writeUidItem(w, ItemType.ImplementationClassUid, ui.implementationClassUid, `${what}: implementationClassUid`);
  }
  if (ui.asynchronousOperationsWindow !== undefined) {
    const aw = ui.asynchronousOperationsWindow;
    const invoked = checkInt(aw?.maxOperationsInvoked, 0xffff, `${what}: maxOperationsInvoked`);
    const performed = checkInt(aw?.maxOperationsPerformed, 0xffff, `${what}: maxOperationsPerformed`);
    unknown.before(ItemType.AsynchronousOperationsWindow);
    w.u8(ItemType.AsynchronousOperationsWindow);
    w.u8(0);
    w.u16(4);
    w.u16(invoked);
    w.u16(performed);
  }
  const roles = arrayOf(ui.roleSelections, `${what}: roleSelections`);
  if (roles.length > 0) unknown.before(ItemType.ScpScuRoleSelection);
  for (let i = 0; i < roles.length; i++) {
    const rs = roles[i];
    const at = `${what}: roleSelections[${i}]`;
    const s = beginItem(w, ItemType.ScpScuRoleSelection);
    writeLengthPrefixedUid(w, rs?.sopClassUid, `${at}: sopClassUid`);
    w.u8(checkInt(rs?.scuRole, 0xff, `${at}: scuRole`));
    w.u8(checkInt(rs?.scpRole, 0xff, `${at}: scpRole`));
    endItem(w, s, at);
  }
  if (ui.implementationVersionName !== undefined) {
    const name = ui.implementationVersionName;
    if (typeof name !== 'string' || !isLatin1(name)) {
      fail(`${what}: implementationVersionName must be a string of 8-bit characters`);
    }
    unknown.before(ItemType.ImplementationVersionName);
    const s = beginItem(w, ItemType.ImplementationVersionName);
    w.latin1(name);
    endItem(w, s, `${what}: implementationVersionName`);
  }
  const extended = arrayOf(ui.sopClassExtendedNegotiations, `${what}: sopClassExtendedNegotiations`);
  if (extended.length > 0) unknown.before(ItemType.SopClassExtendedNegotiation);
  for (let i = 0; i < extended.length; i++) {
    const en = extended[i];
    const at = `${what}: sopClassExtendedNegotiations[${i}]`;
    const s = beginItem(w, ItemType.SopClassExtendedNegotiation);
    writeLengthPrefixedUid(w, en?.sopClassUid, `${at}: sopClassUid`);
    w.bytes(checkBytes(en?.serviceClassApplicationInformation, `${at}: serviceClassApplicationInformation`));
    endItem(w, s, at);
  }
  const common = arrayOf(ui.sopClassCommonExtendedNegotiations, `${what}: sopClassCommonExtendedNegotiations`);
  if (!isRq && common.length > 0) {
    fail(`${what}: SOP Class Common Extended Negotiation is only sent in an A-ASSOCIATE-RQ (PS3.7 D.3.3.6)`);
  }
  if (common.length > 0) unknown.before(ItemType.SopClassCommonExtendedNegotiation);
  for (let i = 0; i < common.length; i++) {
    const cn = common[i];
    const at = `${what}: sopClassCommonExtendedNegotiations[${i}]`;
    const s = beginItem(w, ItemType.SopClassCommonExtendedNegotiation);
    writeLengthPrefixedUid(w, cn?.sopClassUid, `${at}: sopClassUid`);
    writeLengthPrefixedUid(w, cn?.serviceClassUid, `${at}: serviceClassUid`);
    const related = arrayOf(cn?.relatedGeneralSopClassUids, `${at}: relatedGeneralSopClassUids`);
    const lengthAt = w.pos;
    w.u16(0);
    for (let j = 0; j < related.length; j++) {
      writeLengthPrefixedUid(w, related[j], `${at}: relatedGeneralSopClassUids[${j}]`);
    }
    const relatedLength = w.pos - lengthAt - 2;
    if (relatedLength > 0xffff) fail(`${at}: related general SOP classes exceed the 16-bit length field`);
    w.patchU16(lengthAt, relatedLength);
    endItem(w, s, at);
  }
  if (ui.userIdentity !== undefined) {
    if (!isRq) fail(`${what}: userIdentity (a request) is only sent in an A-ASSOCIATE-RQ; use userIdentityResponse`);
    const id = ui.userIdentity;
    const at = `${what}: userIdentity`;
    const type = checkInt(id?.userIdentityType, 0xff, `${at}: userIdentityType`);
    if (typeof id.positiveResponseRequested !== 'boolean') fail(`${at}: positiveResponseRequested must be a boolean`);
    const primary = checkBytes(id.primaryField, `${at}: primaryField`);
    const secondary = checkBytes(id.secondaryField, `${at}: secondaryField`);
    if (primary.length > 0xffff || secondary.length > 0xffff) fail(`${at}: a field exceeds its 16-bit length`);
    unknown.before(ItemType.UserIdentityRq);
    const s = beginItem(w, ItemType.UserIdentityRq);
    w.u8(type);
    w.u8(id.positiveResponseRequested ? 1 : 0);
    w.u16(primary.length);
    w.bytes(primary);
    w.u16(secondary.length);
    w.bytes(secondary);
    endItem(w, s, at);
  }
  if (ui.userIdentityResponse !== undefined) {
    if (isRq) fail(`${what}: userIdentityResponse is only sent in an A-ASSOCIATE-AC; use userIdentity`);
    const at = `${what}: userIdentityResponse`;
    const response = checkBytes(ui.userIdentityResponse?.serverResponse, `${at}: serverResponse`);
    if (response.length > 0xffff) fail(`${at}: serverResponse exceeds its 16-bit length`);
    unknown.before(ItemType.UserIdentityAc);
    const s = beginItem(w, ItemType.UserIdentityAc);
    w.u16(response.length);
    w.bytes(response);
    endItem(w, s, at);
  }
  unknown.rest();
  endItem(w, start, what);
  substitute(w, start, ui.preserved);
}

function arrayOf<T>(v: readonly T[] | undefined, what: string): readonly T[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) fail(`${what} must be an array`);
  return v;
}

function writeAeTitle(w: ByteWriter, title: unknown, tested: boolean, what: string): void {
  if (tested) {
    if (typeof title !== 'string' || !isValidAeTitle(title)) {
      fail(`${what} must be 1..16 characters of ISO 646 G0 without backslash, not all spaces; got ${show(title)}`);
    }
  } else if (typeof title !== 'string' || title.length > 16 || !isLatin1(title)) {
    fail(`${what} must be a string of at most 16 8-bit characters; got ${show(title)}`);
  }
  w.latin1(title);
  w.fill(0x20, 16 - title.length);
}

/** Canonical encoding of an A-ASSOCIATE-RQ or -AC, PS3.8 9.3.2 / 9.3.3, with preserved raw bytes substituted. */
function encodeAssociate(pdu: AAssociateRq | AAssociateAc): Uint8Array {
  const isRq = pdu.kind === 'A-ASSOCIATE-RQ';
  const kind = pdu.kind;
  const r = keptReserved(pdu.preserved, 35);
  const w = new ByteWriter(1024);
  w.u8(isRq ? PduType['A-ASSOCIATE-RQ'] : PduType['A-ASSOCIATE-AC']);
  w.u8(r?.[0] ?? 0);
  w.u32(0);
  w.u16(checkInt(pdu.protocolVersion, 0xffff, `${kind}: protocolVersion`));
  w.u8(r?.[1] ?? 0);
  w.u8(r?.[2] ?? 0);
  // In an A-ASSOCIATE-AC both AE title fields are reserved, "not tested when received" (PS3.8 9.3.3).
  writeAeTitle(w, pdu.calledAeTitle, isRq, `${kind}: calledAeTitle`);
  writeAeTitle(w, pdu.callingAeTitle, isRq, `${kind}: callingAeTitle`);
  if (r) w.bytes(r.subarray(3, 35));
  else w.fill(0, 32);

  const contexts = pdu.presentationContexts;
  if (!Array.isArray(contexts)) fail(`${kind}: presentationContexts must be an array`);
  const unknown = unknownMerger(w, pdu.unknownItems, `${kind}: unknownItems`);
  unknown.before(ItemType.ApplicationContext);
  writeUidItem(w, ItemType.ApplicationContext, pdu.applicationContextName, `${kind}: applicationContextName`);
  unknown.before(isRq ? ItemType.PresentationContextRq : ItemType.PresentationContextAc);
  for (let i = 0; i < contexts.length; i++) {
    if (isRq)
      writePresentationContextRq(w, contexts[i] as PresentationContextRq, `${kind}: presentationContexts[${i}]`);
    else writePresentationContextAc(w, contexts[i] as PresentationContextAc, `${kind}: presentationContexts[${i}]`);
  }
  unknown.before(ItemType.UserInformation);
  writeUserInformation(w, pdu.userInformation, isRq, `${kind}: userInformation`);
  unknown.rest();
  w.patchU32(2, w.pos - pduHeaderLength);

  const kept = keptRaw(pdu.preserved);
  if (kept !== undefined && w.pos === kept.canonical.length) {
    let same = true;
    for (let i = 0; i < w.pos; i++) {
      if (w.buf[i] !== kept.canonical[i]) {
        same = false;
        break;
      }
    }
    if (same) return copyBytes(kept.raw, 0, kept.raw.length);
  }
  return w.result();
}

function fixedPdu(type: number, reserved0: number, body: readonly number[]): Uint8Array {
  const out = new Uint8Array(pduHeaderLength + body.length);
  out[0] = type;
  out[1] = reserved0;
  writeU32(out, 2, body.length);
  out.set(body, pduHeaderLength);
  return out;
}

function encodeAssociateRj(pdu: AAssociateRj): Uint8Array {
  const r = keptReserved(pdu.preserved, 2);
  return fixedPdu(PduType['A-ASSOCIATE-RJ'], r?.[0] ?? 0, [
    r?.[1] ?? 0,
    checkInt(pdu.result, 0xff, 'A-ASSOCIATE-RJ: result'),
    checkInt(pdu.source, 0xff, 'A-ASSOCIATE-RJ: source'),
    checkInt(pdu.reason, 0xff, 'A-ASSOCIATE-RJ: reason'),
  ]);
}

function encodeRelease(pdu: AReleaseRq | AReleaseRp): Uint8Array {
  const r = keptReserved(pdu.preserved, 5);
  return fixedPdu(PduType[pdu.kind], r?.[0] ?? 0, [r?.[1] ?? 0, r?.[2] ?? 0, r?.[3] ?? 0, r?.[4] ?? 0]);
}

function encodeAbort(pdu: AAbort): Uint8Array {
  const r = keptReserved(pdu.preserved, 3);
  return fixedPdu(PduType['A-ABORT'], r?.[0] ?? 0, [
    r?.[1] ?? 0,
    r?.[2] ?? 0,
    checkInt(pdu.source, 0xff, 'A-ABORT: source'),
    checkInt(pdu.reason, 0xff, 'A-ABORT: reason'),
  ]);
}

/** Validates the PDVs of a P-DATA-TF and returns the PDU-length. */
function pDataLength(pdu: PDataTf): number {
  const pdvs = pdu.pdvs;
  if (!Array.isArray(pdvs) || pdvs.length === 0) {
    fail('P-DATA-TF: pdvs must hold one or more PDVs (PS3.8 9.3.5)');
  }
  let length = 0;
  for (let i = 0; i < pdvs.length; i++) {
    const pdv = pdvs[i];
    checkPcid(pdv?.presentationContextId, `P-DATA-TF: pdvs[${i}]`);
    length += pdvOverhead + checkBytes(pdv?.data, `P-DATA-TF: pdvs[${i}].data`).length;
  }
  if (length > 0xffffffff) fail(`P-DATA-TF: PDU-length ${length} exceeds the 32-bit PDU-length field`);
  return length;
}

function messageControlHeader(pdv: PDataTf['pdvs'][number]): number {
  const r = keptReserved(pdv.preserved, 1);
  return (pdv.isCommand ? 1 : 0) | (pdv.isLast ? 2 : 0) | ((r?.[0] ?? 0) & 0xfc);
}

function encodePDataTf(pdu: PDataTf): Uint8Array {
  const length = pDataLength(pdu);
  const out = new Uint8Array(pduHeaderLength + length);
  out[0] = PduType['P-DATA-TF'];
  out[1] = keptReserved(pdu.preserved, 1)?.[0] ?? 0;
  writeU32(out, 2, length);
  let at = pduHeaderLength;
  for (const pdv of pdu.pdvs) {
    writeU32(out, at, 2 + pdv.data.length);
    out[at + 4] = pdv.presentationContextId;
    out[at + 5] = messageControlHeader(pdv);
    out.set(pdv.data, at + 6);
    at += pdvOverhead + pdv.data.length;
  }
  return out;
}

/**
 * Encodes a PDU (PS3.8 9.3) into one new buffer. For P-DATA-TF this copies the fragments; use
 * {@link encodePduParts} to send them without copying. Throws {@link InvalidPduFieldError} for values that cannot
 * be encoded or that the decoder would refuse.
 */
export function encodePdu(pdu: Pdu): Uint8Array {
  switch (pdu?.kind) {
    case 'A-ASSOCIATE-RQ':
    case 'A-ASSOCIATE-AC':
      return encodeAssociate(pdu);
    case 'A-ASSOCIATE-RJ':
      return encodeAssociateRj(pdu);
    case 'P-DATA-TF':
      return encodePDataTf(pdu);
    case 'A-RELEASE-RQ':
    case 'A-RELEASE-RP':
      return encodeRelease(pdu);
    case 'A-ABORT':
      return encodeAbort(pdu);
    default:
      return fail(`unknown PDU kind ${show((pdu as { kind?: unknown } | undefined)?.kind)}`);
  }
}

/**
 * Encodes a PDU (PS3.8 9.3) as a list of buffers to be written in order with one `writev` (or between `socket.cork()`
 * and `uncork()`). For a P-DATA-TF (PS3.8 9.3.5) the list alternates small header buffers (the PDU header with the first PDV item
 * header, then each further PDV item header) with the PDVs' `data` themselves, which are not copied: do not modify
 * them until the write completes. Empty fragments are left out. Other PDUs come back as a single buffer.
 */
export function encodePduParts(pdu: Pdu): Uint8Array[] {
  if (pdu?.kind !== 'P-DATA-TF') return [encodePdu(pdu)];
  const length = pDataLength(pdu);
  const pdvs = pdu.pdvs;
  const headers = new Uint8Array(pduHeaderLength + pdvOverhead * pdvs.length);
  headers[0] = PduType['P-DATA-TF'];
  headers[1] = keptReserved(pdu.preserved, 1)?.[0] ?? 0;
  writeU32(headers, 2, length);
  const parts: Uint8Array[] = [];
  let pendingFrom = 0;
  for (let i = 0; i < pdvs.length; i++) {
    const pdv = pdvs[i] as PDataTf['pdvs'][number];
    const at = pduHeaderLength + pdvOverhead * i;
    writeU32(headers, at, 2 + pdv.data.length);
    headers[at + 4] = pdv.presentationContextId;
    headers[at + 5] = messageControlHeader(pdv);
    if (pdv.data.length > 0) {
      parts.push(headers.subarray(pendingFrom, at + pdvOverhead), pdv.data);
      pendingFrom = at + pdvOverhead;
    }
  }
  if (pendingFrom < headers.length) parts.push(headers.subarray(pendingFrom));
  return parts;
}

export { encodeAssociate as encodeAssociateCanonical };
