/**
 * Bytes on the wire, built by hand where a hostile peer must lie (PS3.8 9.3 PDU layouts) and with the real codecs
 * (`@netdicom/pdu`, `@netdicom/dimse`) where it must not. Also the exact answers PS3.8 prescribes, as bytes.
 */
import { encodeCommandSet } from '@netdicom/dimse';
import { type AAssociateRq, decodePdu, encodePdu, type Pdu } from '@netdicom/pdu';

/** Verification SOP Class (PS3.4 A.4). */
export const VERIFICATION = '1.2.840.10008.1.1';
/** CT Image Storage (PS3.4 B.5). */
export const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
/** Secondary Capture Image Storage (PS3.4 B.5). */
export const SECONDARY_CAPTURE = '1.2.840.10008.5.1.4.1.1.7';
/** Implicit VR Little Endian (PS3.5 A.1). */
export const IMPLICIT_VR_LE = '1.2.840.10008.1.2';
/** Explicit VR Little Endian (PS3.5 A.2). */
export const EXPLICIT_VR_LE = '1.2.840.10008.1.2.1';
/** Deflated Explicit VR Little Endian (PS3.5 A.5). */
export const DEFLATED_EXPLICIT_VR_LE = '1.2.840.10008.1.2.1.99';

/** Hex of some bytes, the form answers are compared in (readable in a failed assertion). */
export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** A PDU from its type and body, the PDU-length computed or forced (PS3.8 9.3.1: type, reserved, 32-bit length). */
export function rawPdu(type: number, body: Uint8Array, length = body.length): Uint8Array {
  const out = new Uint8Array(6 + body.length);
  out[0] = type;
  new DataView(out.buffer).setUint32(2, length >>> 0, false);
  out.set(body, 6);
  return out;
}

/** One PDV item (PS3.8 9.3.5.1, Annex E.2): item length, context ID, control header, data; the length may lie. */
export interface RawPdv {
  readonly contextId: number;
  readonly command: boolean;
  readonly last: boolean;
  readonly data: Uint8Array;
  /** Forced item length (default: 2 + data length). */
  readonly itemLength?: number;
}

/** A P-DATA-TF (type 04) of the given PDVs, exactly as described (no validation). */
export function pDataTf(pdvs: readonly RawPdv[], pduLength?: number): Uint8Array {
  const parts = pdvs.map((pdv) => {
    const item = new Uint8Array(6 + pdv.data.length);
    new DataView(item.buffer).setUint32(0, (pdv.itemLength ?? pdv.data.length + 2) >>> 0, false);
    item[4] = pdv.contextId;
    item[5] = (pdv.command ? 1 : 0) | (pdv.last ? 2 : 0);
    item.set(pdv.data, 6);
    return item;
  });
  return rawPdu(0x04, Buffer.concat(parts), pduLength);
}

/** A presentation context proposal. */
export interface ContextProposal {
  readonly id: number;
  readonly abstractSyntax: string;
  readonly transferSyntaxes: readonly string[];
}

/** Options of {@link associateRq}. */
export interface AssociateRqOptions {
  readonly calledAeTitle?: string;
  readonly callingAeTitle?: string;
  readonly contexts?: readonly ContextProposal[];
  readonly maxPduLength?: number;
  /** Proposed Asynchronous Operations Window (PS3.7 D.3.3.3). */
  readonly window?: { readonly invoked: number; readonly performed: number };
}

/** An A-ASSOCIATE-RQ as a PDU object (PS3.8 9.3.2). */
export function associateRqPdu(options: AssociateRqOptions = {}): AAssociateRq {
  return {
    kind: 'A-ASSOCIATE-RQ',
    protocolVersion: 1,
    calledAeTitle: options.calledAeTitle ?? 'HOSTILE',
    callingAeTitle: options.callingAeTitle ?? 'RAWPEER',
    applicationContextName: '1.2.840.10008.3.1.1.1',
    presentationContexts: (
      options.contexts ?? [{ id: 1, abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_VR_LE] }]
    ).map((c) => ({ id: c.id, abstractSyntax: c.abstractSyntax, transferSyntaxes: [...c.transferSyntaxes] })),
    userInformation: {
      maximumLength: options.maxPduLength ?? 65536,
      implementationClassUid: '2.25.200000000000000000000000000000000001',
      implementationVersionName: 'HOSTILE_PEER',
      ...(options.window
        ? {
            asynchronousOperationsWindow: {
              maxOperationsInvoked: options.window.invoked,
              maxOperationsPerformed: options.window.performed,
            },
          }
        : {}),
    },
  };
}

/** An A-ASSOCIATE-RQ as bytes, encoded by our codec. */
export function associateRq(options: AssociateRqOptions = {}): Uint8Array {
  return encodePdu(associateRqPdu(options));
}

/** A-ABORT (PS3.8 9.3.8): `07 00 00000004 00 00 source reason`. */
export function aAbort(source: number, reason: number): Uint8Array {
  return rawPdu(0x07, new Uint8Array([0, 0, source, reason]));
}

/** A-ASSOCIATE-RJ (PS3.8 9.3.4): `03 00 00000004 00 result source reason`. */
export function aAssociateRj(result: number, source: number, reason: number): Uint8Array {
  return rawPdu(0x03, new Uint8Array([0, result, source, reason]));
}

/** A-RELEASE-RQ (PS3.8 9.3.6). */
export const A_RELEASE_RQ = rawPdu(0x05, new Uint8Array(4));
/** A-RELEASE-RP (PS3.8 9.3.7). */
export const A_RELEASE_RP = rawPdu(0x06, new Uint8Array(4));

/** Splits a byte stream into whole PDUs (by the PDU-length of each header) and the incomplete rest. */
export function splitPdus(bytes: Uint8Array): { pdus: Uint8Array[]; rest: Uint8Array } {
  const pdus: Uint8Array[] = [];
  let at = 0;
  while (bytes.length - at >= 6) {
    const length = new DataView(bytes.buffer, bytes.byteOffset + at + 2, 4).getUint32(0, false);
    if (bytes.length - at - 6 < length) break;
    pdus.push(bytes.subarray(at, at + 6 + length));
    at += 6 + length;
  }
  return { pdus, rest: bytes.subarray(at) };
}

/** Decodes whole PDUs of a byte stream with our codec. */
export function decodePdus(bytes: Uint8Array): Pdu[] {
  return splitPdus(bytes).pdus.map((p) => decodePdu(p));
}

/** C-ECHO-RQ command set (PS3.7 9.3.5.1). */
export function echoRq(messageId: number): Uint8Array {
  return encodeCommandSet({
    commandField: 0x0030,
    messageId,
    affectedSopClassUid: VERIFICATION,
    commandDataSetType: 0x0101,
  });
}

/** One element of a command set as raw bytes (Implicit VR Little Endian, PS3.7 6.3.1). */
export interface RawCommandElement {
  readonly tag: number;
  readonly value: Uint8Array;
}

/** A command set from raw elements, in the order given, with a Command Group Length (0000,0000) that tells the truth. */
export function rawCommandSet(elements: readonly RawCommandElement[]): Uint8Array {
  const encode = (tag: number, value: Uint8Array) => {
    const out = Buffer.alloc(8 + value.length);
    out.writeUInt16LE(tag >>> 16, 0);
    out.writeUInt16LE(tag & 0xffff, 2);
    out.writeUInt32LE(value.length, 4);
    out.set(value, 8);
    return out;
  };
  const body = Buffer.concat(elements.map((e) => encode(e.tag, e.value)));
  const length = Buffer.alloc(4);
  length.writeUInt32LE(body.length, 0);
  return Buffer.concat([encode(0x00000000, length), body]);
}

const us = (value: number) => Buffer.from([value & 0xff, value >>> 8]);
const ui = (value: string) => {
  const bytes = Buffer.from(value, 'latin1');
  return bytes.length % 2 === 0 ? bytes : Buffer.concat([bytes, Buffer.from([0])]);
};

/**
 * C-STORE-RQ command set (PS3.7 9.3.1.1) encoded by hand, so that a hostile peer can put anything in the UIDs (our
 * own encoder refuses values that are not UIDs).
 */
export function storeRq(messageId: number, sopClassUid: string, sopInstanceUid: string): Uint8Array {
  return rawCommandSet([
    { tag: 0x00000002, value: ui(sopClassUid) },
    { tag: 0x00000100, value: us(0x0001) },
    { tag: 0x00000110, value: us(messageId) },
    { tag: 0x00000700, value: us(0) },
    { tag: 0x00000800, value: us(0x0000) },
    { tag: 0x00001000, value: ui(sopInstanceUid) },
  ]);
}

/** One whole command in one PDV, as a P-DATA-TF. */
export function commandPdu(contextId: number, command: Uint8Array): Uint8Array {
  return pDataTf([{ contextId, command: true, last: true, data: command }]);
}

/** A data set cut into P-DATA-TF PDUs of at most `maxPdvData` bytes of data each. */
export function datasetPdus(contextId: number, dataset: Uint8Array, maxPdvData = 16_000): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < dataset.length || at === 0; at += maxPdvData) {
    const end = Math.min(dataset.length, at + maxPdvData);
    out.push(pDataTf([{ contextId, command: false, last: end === dataset.length, data: dataset.subarray(at, end) }]));
    if (end === dataset.length) break;
  }
  return out;
}

/**
 * The command sets in P-DATA-TF PDUs (command PDVs reassembled, PS3.8 E.2), and the kinds of the other PDUs (an
 * A-ABORT with its source and reason: `A-ABORT(0,0)`).
 */
export function commandsOf(pdus: readonly Pdu[]): { commands: Uint8Array[]; others: string[] } {
  const commands: Uint8Array[] = [];
  const others: string[] = [];
  let fragments: Uint8Array[] = [];
  for (const pdu of pdus) {
    if (pdu.kind !== 'P-DATA-TF') {
      others.push(pdu.kind === 'A-ABORT' ? `A-ABORT(${pdu.source},${pdu.reason})` : pdu.kind);
      continue;
    }
    for (const pdv of pdu.pdvs) {
      if (!pdv.isCommand) continue;
      fragments.push(pdv.data);
      if (pdv.isLast) {
        commands.push(Buffer.concat(fragments));
        fragments = [];
      }
    }
  }
  return { commands, others };
}
