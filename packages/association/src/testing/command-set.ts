/**
 * Just enough of PS3.7 (command sets, Implicit VR Little Endian, group 0000) for this package's interop tests to
 * answer DCMTK's C-ECHO-RQ and C-STORE-RQ: DIMSE proper belongs to @netdicom/dimse. Hand-written on purpose.
 */
import type { Association } from '../types.js';

/** Reads the top-level elements of a command set: tag (group << 16 | element) to raw value bytes. */
export function parseCommandSet(bytes: Uint8Array): Map<number, Uint8Array> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const elements = new Map<number, Uint8Array>();
  let at = 0;
  while (at + 8 <= bytes.length) {
    const tag = (view.getUint16(at, true) << 16) | view.getUint16(at + 2, true);
    const length = view.getUint32(at + 4, true);
    elements.set(tag >>> 0, bytes.subarray(at + 8, at + 8 + length));
    at += 8 + length;
  }
  return elements;
}

function element(tag: number, value: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + value.length);
  const view = new DataView(out.buffer);
  view.setUint16(0, tag >>> 16, true);
  view.setUint16(2, tag & 0xffff, true);
  view.setUint32(4, value.length, true);
  out.set(value, 8);
  return out;
}

const us = (n: number): Uint8Array => new Uint8Array([n & 0xff, n >> 8]);
const ui = (uid: Uint8Array): Uint8Array => {
  // UI values are padded to even length with NUL (PS3.5 6.2); keep the request's bytes as they are.
  return uid;
};

/** Builds a response command set (PS3.7 9.3): group length first, then the given elements in tag order. */
export function buildResponse(fields: [number, Uint8Array][]): Uint8Array {
  const body = fields.sort((a, b) => a[0] - b[0]).map(([tag, value]) => element(tag, value));
  const length = body.reduce((sum, e) => sum + e.length, 0);
  const groupLength = element(0x0000_0000, new Uint8Array(new Uint32Array([length]).buffer));
  const out = new Uint8Array(groupLength.length + length);
  out.set(groupLength, 0);
  let at = groupLength.length;
  for (const e of body) {
    out.set(e, at);
    at += e.length;
  }
  return out;
}

/**
 * Answers every C-ECHO-RQ (PS3.7 9.3.5) and C-STORE-RQ (PS3.7 9.3.1) on the association with a success response,
 * so DCMTK's echoscu/storescu finish normally. Data sets are received and dropped. Returns the command fields seen.
 */
export function answerVerificationAndStorage(association: Association): number[] {
  const seen: number[] = [];
  let command: Uint8Array[] = [];
  let pending: { contextId: number; fields: Map<number, Uint8Array> } | undefined;
  const respond = (contextId: number, fields: Map<number, Uint8Array>): void => {
    const commandField = new DataView(fields.get(0x0000_0100)!.buffer, fields.get(0x0000_0100)!.byteOffset).getUint16(
      0,
      true,
    );
    const messageId = fields.get(0x0000_0110)!;
    const response: [number, Uint8Array][] = [
      [0x0000_0002, ui(fields.get(0x0000_0002)!)],
      [0x0000_0100, us(commandField | 0x8000)],
      [0x0000_0120, messageId],
      [0x0000_0800, us(0x0101)],
      [0x0000_0900, us(0x0000)],
    ];
    const instance = fields.get(0x0000_1000);
    if (instance) response.push([0x0000_1000, instance]);
    association.sendPData([
      { presentationContextId: contextId, isCommand: true, isLast: true, data: buildResponse(response) },
    ]);
  };
  association.pData$.subscribe((pdu) => {
    for (const pdv of pdu.pdvs) {
      if (pdv.isCommand) {
        command.push(pdv.data);
        if (!pdv.isLast) continue;
        const bytes = Buffer.concat(command);
        command = [];
        const fields = parseCommandSet(bytes);
        const commandField = fields.get(0x0000_0100);
        seen.push(commandField ? commandField[0]! | (commandField[1]! << 8) : -1);
        const dataSetType = fields.get(0x0000_0800);
        const hasDataSet = dataSetType !== undefined && !(dataSetType[0] === 0x01 && dataSetType[1] === 0x01);
        if (hasDataSet) pending = { contextId: pdv.presentationContextId, fields };
        else respond(pdv.presentationContextId, fields);
      } else if (pdv.isLast && pending) {
        respond(pending.contextId, pending.fields);
        pending = undefined;
      }
    }
  });
  return seen;
}
