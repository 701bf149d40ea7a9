/**
 * Byte-level builders of PDUs and items for tests, written independently of the encoder under test: each function
 * lays out the bytes of one PS3.8 9.3 / PS3.7 D.3.3 structure from raw values, so tests can make valid, odd and
 * broken inputs alike.
 */

export type Bytes = ArrayLike<number>;

export function cat(...parts: Bytes[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export const u8 = (v: number): number[] => [v & 0xff];
export const u16 = (v: number): number[] => [(v >>> 8) & 0xff, v & 0xff];
export const u32 = (v: number): number[] => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];

/** One byte per character (ISO 8859-1). */
export function text(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);
}

/** An item or sub-item: type, reserved byte, 16-bit length, value (PS3.8 9.3.1). */
export function item(type: number, value: Bytes, reserved = 0): Uint8Array {
  return cat([type, reserved], u16(value.length), value);
}

/** A PDU: type, reserved byte, 32-bit length, body. */
export function pdu(type: number, body: Bytes, reserved = 0): Uint8Array {
  return cat([type, reserved], u32(body.length), body);
}

/** A 16-byte AE title field: the title, then `pad` up to 16 bytes. */
export function aeField(title: string, pad = ' '): Uint8Array {
  return text(title.padEnd(16, pad));
}

export interface AssociateFields {
  readonly protocolVersion?: number;
  readonly calledAeTitle?: string | Uint8Array;
  readonly callingAeTitle?: string | Uint8Array;
  /** Bytes 9-10 and 43-74. */
  readonly reserved?: { readonly bytes9to10?: number; readonly bytes43to74?: Bytes; readonly header?: number };
  readonly items: readonly Bytes[];
}

function associate(type: number, f: AssociateFields): Uint8Array {
  const field = (v: string | Uint8Array | undefined, d: string) => (v instanceof Uint8Array ? v : aeField(v ?? d));
  return pdu(
    type,
    cat(
      u16(f.protocolVersion ?? 1),
      u16(f.reserved?.bytes9to10 ?? 0),
      field(f.calledAeTitle, 'CALLED'),
      field(f.callingAeTitle, 'CALLING'),
      f.reserved?.bytes43to74 ?? new Uint8Array(32),
      ...f.items,
    ),
    f.reserved?.header ?? 0,
  );
}

export const associateRq = (f: AssociateFields): Uint8Array => associate(0x01, f);
export const associateAc = (f: AssociateFields): Uint8Array => associate(0x02, f);

export const applicationContext = (uid = '1.2.840.10008.3.1.1.1', reserved = 0): Uint8Array =>
  item(0x10, text(uid), reserved);

/** Presentation Context item of an RQ; `reserved` are item bytes 2, 6, 7, 8. */
export function pcRq(id: number, subItems: readonly Bytes[], reserved: readonly number[] = [0, 0, 0, 0]): Uint8Array {
  const [r2 = 0, r6 = 0, r7 = 0, r8 = 0] = reserved;
  return item(0x20, cat([id, r6, r7, r8], ...subItems), r2);
}

/** Presentation Context item of an AC; `reserved` are item bytes 2, 6, 8. */
export function pcAc(id: number, result: number, subItems: readonly Bytes[], reserved: readonly number[] = [0, 0, 0]) {
  const [r2 = 0, r6 = 0, r8 = 0] = reserved;
  return item(0x21, cat([id, r6, result, r8], ...subItems), r2);
}

export const abstractSyntax = (uid: string, reserved = 0): Uint8Array => item(0x30, text(uid), reserved);
export const transferSyntax = (uid: string, reserved = 0): Uint8Array => item(0x40, text(uid), reserved);
export const userInformation = (subItems: readonly Bytes[], reserved = 0): Uint8Array =>
  item(0x50, cat(...subItems), reserved);
export const maximumLength = (n: number): Uint8Array => item(0x51, u32(n));
export const implementationClassUid = (uid: string): Uint8Array => item(0x52, text(uid));
export const asynchronousOperationsWindow = (invoked: number, performed: number): Uint8Array =>
  item(0x53, cat(u16(invoked), u16(performed)));
export const roleSelection = (uid: string, scu: number, scp: number): Uint8Array =>
  item(0x54, cat(u16(uid.length), text(uid), [scu, scp]));
export const implementationVersionName = (name: string): Uint8Array => item(0x55, text(name));
export const extendedNegotiation = (uid: string, info: Bytes): Uint8Array =>
  item(0x56, cat(u16(uid.length), text(uid), info));
export function commonExtendedNegotiation(
  sopClassUid: string,
  serviceClassUid: string,
  related: readonly string[],
  version = 0,
): Uint8Array {
  const rel = cat(...related.map((r) => cat(u16(r.length), text(r))));
  return item(
    0x57,
    cat(
      u16(sopClassUid.length),
      text(sopClassUid),
      u16(serviceClassUid.length),
      text(serviceClassUid),
      u16(rel.length),
      rel,
    ),
    version,
  );
}
export function userIdentityRq(type: number, positiveResponse: number, primary: Bytes, secondary: Bytes): Uint8Array {
  return item(0x58, cat([type, positiveResponse], u16(primary.length), primary, u16(secondary.length), secondary));
}
export const userIdentityAc = (response: Bytes): Uint8Array => item(0x59, cat(u16(response.length), response));

/** A PDV item: 32-bit length, presentation context ID, message control header, fragment (PS3.8 9.3.5.1, E.2). */
export function pdv(id: number, messageControlHeader: number, data: Bytes): Uint8Array {
  return cat(u32(2 + data.length), [id, messageControlHeader], data);
}
export const pDataTf = (pdvs: readonly Bytes[], reserved = 0): Uint8Array => pdu(0x04, cat(...pdvs), reserved);

export const associateRj = (result: number, source: number, reason: number, reserved: readonly number[] = [0, 0]) =>
  pdu(0x03, [reserved[1] ?? 0, result, source, reason], reserved[0] ?? 0);
export const releaseRq = (reserved: readonly number[] = [0, 0, 0, 0, 0]): Uint8Array =>
  pdu(0x05, reserved.slice(1, 5), reserved[0] ?? 0);
export const releaseRp = (reserved: readonly number[] = [0, 0, 0, 0, 0]): Uint8Array =>
  pdu(0x06, reserved.slice(1, 5), reserved[0] ?? 0);
export const abort = (source: number, reason: number, reserved: readonly number[] = [0, 0, 0]): Uint8Array =>
  pdu(0x07, [reserved[1] ?? 0, reserved[2] ?? 0, source, reason], reserved[0] ?? 0);

/** A minimal valid A-ASSOCIATE-RQ with one Verification context, for tests that vary one thing. */
export function minimalRq(
  overrides: Partial<AssociateFields> & { readonly pcs?: readonly Bytes[]; readonly ui?: readonly Bytes[] } = {},
) {
  return associateRq({
    ...overrides,
    items: overrides.items ?? [
      applicationContext(),
      ...(overrides.pcs ?? [pcRq(1, [abstractSyntax('1.2.840.10008.1.1'), transferSyntax('1.2.840.10008.1.2')])]),
      userInformation(overrides.ui ?? [maximumLength(16384), implementationClassUid('1.2.3.4')]),
    ],
  });
}

/** A minimal valid A-ASSOCIATE-AC accepting context 1 with Implicit VR Little Endian. */
export function minimalAc(
  overrides: Partial<AssociateFields> & { readonly pcs?: readonly Bytes[]; readonly ui?: readonly Bytes[] } = {},
) {
  return associateAc({
    ...overrides,
    items: overrides.items ?? [
      applicationContext(),
      ...(overrides.pcs ?? [pcAc(1, 0, [transferSyntax('1.2.840.10008.1.2')])]),
      userInformation(overrides.ui ?? [maximumLength(16384), implementationClassUid('1.2.3.4')]),
    ],
  });
}
