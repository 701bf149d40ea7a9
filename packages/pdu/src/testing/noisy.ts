/**
 * Encodes a PDU the way an unusual but conforming peer might: random values in every reserved field, UIDs padded
 * with trailing NULs or spaces, AE titles with leading spaces or NUL padding, items in any order (keeping the order
 * within each kind of item), a non-zero sub-item version, a positive-response byte other than 1. Built from the
 * byte builders, independently of the encoder. The decoder must read the same typed fields back, and re-encoding
 * must reproduce these exact bytes.
 */
import * as b from './builders.js';
import type { Bytes } from './builders.js';
import type { Pdu, PresentationContextAc, PresentationContextRq, UnknownItem, UserInformation } from '../types.js';

export type Random = () => number;

/** A small deterministic PRNG (mulberry32). */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function noisyEncode(pdu: Pdu, rand: Random): Uint8Array {
  const chance = (p: number) => rand() < p;
  const byte = () => Math.floor(rand() * 256);
  const reserved = () => (chance(0.5) ? byte() : 0);
  const reservedBytes = (n: number) => Array.from({ length: n }, reserved);
  const pad = (s: string, room: number) => {
    let out = s;
    const n = chance(0.4) ? Math.floor(rand() * Math.min(3, room + 1)) : 0;
    for (let i = 0; i < n; i++) out += chance(0.5) ? '\0' : ' ';
    return out;
  };
  const uidItem = (type: number, uid: string) => b.item(type, b.text(pad(uid, 4)), reserved());
  const prefixedUid = (uid: string) => {
    const padded = pad(uid, 4);
    return b.cat(b.u16(padded.length), b.text(padded));
  };
  const unknown = (u: UnknownItem) => b.item(u.itemType, u.data, reserved());
  /** Interleaves groups at random, keeping the order inside each group. */
  const merge = (groups: Bytes[][]): Bytes[] => {
    const queues = groups.filter((g) => g.length > 0).map((g) => [...g]);
    const out: Bytes[] = [];
    while (queues.length > 0) {
      const i = Math.floor(rand() * queues.length);
      const q = queues[i] as Bytes[];
      out.push(q.shift() as Bytes);
      if (q.length === 0) queues.splice(i, 1);
    }
    return out;
  };
  const aeField = (title: string) => {
    const room = 16 - title.length;
    const lead = chance(0.3) ? Math.floor(rand() * (room + 1)) : 0;
    let s = ' '.repeat(lead) + title;
    while (s.length < 16) s += chance(0.2) ? '\0' : ' ';
    return b.text(s);
  };

  const userInformation = (ui: UserInformation) => {
    const sub = (type: number, value: Bytes) => b.item(type, value, reserved());
    const groups: Bytes[][] = [
      ui.maximumLength === undefined ? [] : [sub(0x51, b.u32(ui.maximumLength))],
      ui.implementationClassUid === undefined ? [] : [uidItem(0x52, ui.implementationClassUid)],
      ui.asynchronousOperationsWindow === undefined
        ? []
        : [
            sub(
              0x53,
              b.cat(
                b.u16(ui.asynchronousOperationsWindow.maxOperationsInvoked),
                b.u16(ui.asynchronousOperationsWindow.maxOperationsPerformed),
              ),
            ),
          ],
      (ui.roleSelections ?? []).map((r) => sub(0x54, b.cat(prefixedUid(r.sopClassUid), [r.scuRole, r.scpRole]))),
      ui.implementationVersionName === undefined ? [] : [sub(0x55, b.text(ui.implementationVersionName))],
      (ui.sopClassExtendedNegotiations ?? []).map((e) =>
        sub(0x56, b.cat(prefixedUid(e.sopClassUid), e.serviceClassApplicationInformation)),
      ),
      (ui.sopClassCommonExtendedNegotiations ?? []).map((c) => {
        const related = b.cat(...c.relatedGeneralSopClassUids.map(prefixedUid));
        return b.item(
          0x57,
          b.cat(prefixedUid(c.sopClassUid), prefixedUid(c.serviceClassUid), b.u16(related.length), related),
          reserved(), // the sub-item version byte
        );
      }),
      ui.userIdentity === undefined
        ? []
        : [
            sub(
              0x58,
              b.cat(
                [
                  ui.userIdentity.userIdentityType,
                  ui.userIdentity.positiveResponseRequested ? 1 + Math.floor(rand() * 255) : 0,
                ],
                b.u16(ui.userIdentity.primaryField.length),
                ui.userIdentity.primaryField,
                b.u16(ui.userIdentity.secondaryField.length),
                ui.userIdentity.secondaryField,
              ),
            ),
          ],
      ui.userIdentityResponse === undefined
        ? []
        : [
            sub(
              0x59,
              b.cat(b.u16(ui.userIdentityResponse.serverResponse.length), ui.userIdentityResponse.serverResponse),
            ),
          ],
      (ui.unknownSubItems ?? []).map(unknown),
    ];
    return b.userInformation(merge(groups), reserved());
  };

  const pcRq = (pc: PresentationContextRq) =>
    b.pcRq(
      pc.id,
      merge([
        [uidItem(0x30, pc.abstractSyntax)],
        pc.transferSyntaxes.map((ts) => uidItem(0x40, ts)),
        (pc.unknownSubItems ?? []).map(unknown),
      ]),
      reservedBytes(4),
    );
  const pcAc = (pc: PresentationContextAc) =>
    b.pcAc(
      pc.id,
      pc.result,
      merge([
        pc.transferSyntax === undefined ? [] : [uidItem(0x40, pc.transferSyntax)],
        (pc.unknownSubItems ?? []).map(unknown),
      ]),
      reservedBytes(3),
    );

  switch (pdu.kind) {
    case 'A-ASSOCIATE-RQ':
    case 'A-ASSOCIATE-AC': {
      const fields = {
        protocolVersion: pdu.protocolVersion,
        calledAeTitle: aeField(pdu.calledAeTitle),
        callingAeTitle: aeField(pdu.callingAeTitle),
        reserved: { header: reserved(), bytes9to10: reserved() * 256 + reserved(), bytes43to74: reservedBytes(32) },
      };
      const pcs =
        pdu.kind === 'A-ASSOCIATE-RQ' ? pdu.presentationContexts.map(pcRq) : pdu.presentationContexts.map(pcAc);
      const items = merge([
        [uidItem(0x10, pdu.applicationContextName)],
        pcs,
        [userInformation(pdu.userInformation)],
        (pdu.unknownItems ?? []).map(unknown),
      ]);
      return pdu.kind === 'A-ASSOCIATE-RQ' ? b.associateRq({ ...fields, items }) : b.associateAc({ ...fields, items });
    }
    case 'A-ASSOCIATE-RJ':
      return b.associateRj(pdu.result, pdu.source, pdu.reason, reservedBytes(2));
    case 'P-DATA-TF':
      return b.pDataTf(
        pdu.pdvs.map((v) =>
          b.pdv(v.presentationContextId, (v.isCommand ? 1 : 0) | (v.isLast ? 2 : 0) | (reserved() & 0xfc), v.data),
        ),
        reserved(),
      );
    case 'A-RELEASE-RQ':
      return b.releaseRq(reservedBytes(5));
    case 'A-RELEASE-RP':
      return b.releaseRp(reservedBytes(5));
    case 'A-ABORT':
      return b.abort(pdu.source, pdu.reason, reservedBytes(3));
  }
}
