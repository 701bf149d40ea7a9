/**
 * Golden bytes recorded from DCMTK 3.6.7 (echoscu, storescu, storescp) through the loopback recording proxy; see
 * `src/testing/fixtures/README.md` for the command that produced each file. Every PDU must decode to the values
 * DCMTK sent and re-encode byte for byte.
 */
import { describe, expect, it } from 'vitest';
import { decodePdu } from './decode.js';
import { encodePdu, encodePduParts } from './encode.js';
import { createPduReader } from './reader.js';
import { allStreams, ascii, commandElements, datasetOfFile, fixture, splitPdus, us } from './testing/golden.js';
import type { AAssociateAc, AAssociateRq, Pdu, PDataTf } from './types.js';

const DCMTK_IMPLEMENTATION_CLASS_UID = '1.2.276.0.7230010.3.0.3.6.7';
const DICOM_APPLICATION_CONTEXT = '1.2.840.10008.3.1.1.1';
const VERIFICATION = '1.2.840.10008.1.1';
const CT = '1.2.840.10008.5.1.4.1.1.2';
const MR = '1.2.840.10008.5.1.4.1.1.4';
const SC = '1.2.840.10008.5.1.4.1.1.7';
const US = '1.2.840.10008.5.1.4.1.1.6.1';
const IMPLICIT_LE = '1.2.840.10008.1.2';
const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const EXPLICIT_BE = '1.2.840.10008.1.2.2';
const JPEG_BASELINE = '1.2.840.10008.1.2.4.50';

function read(name: string): Pdu[] {
  const reader = createPduReader({ maxPduLength: 131072 });
  const pdus = reader.push(fixture(name));
  expect(reader.bufferedBytes).toBe(0);
  return pdus;
}

function rq(pdus: Pdu[]): AAssociateRq {
  const pdu = pdus[0];
  if (pdu?.kind !== 'A-ASSOCIATE-RQ') throw new Error(`expected an A-ASSOCIATE-RQ, got ${pdu?.kind}`);
  return pdu;
}

function ac(pdus: Pdu[]): AAssociateAc {
  const pdu = pdus[0];
  if (pdu?.kind !== 'A-ASSOCIATE-AC') throw new Error(`expected an A-ASSOCIATE-AC, got ${pdu?.kind}`);
  return pdu;
}

function pData(pdus: Pdu[]): PDataTf[] {
  return pdus.filter((p): p is PDataTf => p.kind === 'P-DATA-TF');
}

/** Reassembles the command sets and data sets carried by a sequence of P-DATA-TF PDUs (PS3.8 Annex E). */
function messages(pdus: Pdu[]): { commands: Uint8Array[]; datasets: Uint8Array[] } {
  const commands: Uint8Array[] = [];
  const datasets: Uint8Array[] = [];
  let command: number[] = [];
  let dataset: number[] = [];
  for (const p of pData(pdus)) {
    for (const pdv of p.pdvs) {
      if (pdv.isCommand) {
        command.push(...pdv.data);
        if (pdv.isLast) {
          commands.push(Uint8Array.from(command));
          command = [];
        }
      } else {
        dataset.push(...pdv.data);
        if (pdv.isLast) {
          datasets.push(Uint8Array.from(dataset));
          dataset = [];
        }
      }
    }
  }
  return { commands, datasets };
}

function dcmtkUserInformation(maximumLength: number) {
  return {
    maximumLength,
    implementationClassUid: DCMTK_IMPLEMENTATION_CLASS_UID,
    implementationVersionName: 'OFFIS_DCMTK_367',
  };
}

describe('every recorded stream', () => {
  for (const { name, bytes } of allStreams()) {
    it(`${name}: decodes PDU by PDU and re-encodes byte for byte`, () => {
      const slices = splitPdus(bytes);
      const viaReader = read(name);
      expect(viaReader.map((p) => p.kind)).toEqual(slices.map((s) => decodePdu(s).kind));
      slices.forEach((slice, i) => {
        const decoded = decodePdu(slice);
        expect(decoded).toEqual(viaReader[i]);
        expect(encodePdu(decoded)).toEqual(slice);
        expect(Buffer.concat(encodePduParts(decoded))).toEqual(Buffer.from(slice));
      });
    });
  }
});

describe('echoscu -> storescp', () => {
  it('A-ASSOCIATE-RQ carries the AE titles, one Verification context and DCMTK user information', () => {
    const pdus = read('echo.scu.bin');
    expect(pdus.map((p) => p.kind)).toEqual(['A-ASSOCIATE-RQ', 'P-DATA-TF', 'A-RELEASE-RQ']);
    const req = rq(pdus);
    expect(req).toMatchObject({
      protocolVersion: 1,
      calledAeTitle: 'GOLDEN-SCP',
      callingAeTitle: 'GOLDEN-ECHO',
      applicationContextName: DICOM_APPLICATION_CONTEXT,
      userInformation: dcmtkUserInformation(16384),
    });
    expect(req.presentationContexts).toEqual([
      {
        id: 1,
        abstractSyntax: VERIFICATION,
        transferSyntaxes: [IMPLICIT_LE],
        // DCMTK sends FFH in the third reserved byte of the Presentation Context item (item byte 7).
        preserved: { reserved: Uint8Array.of(0, 0, 0xff, 0) },
      },
    ]);
    expect(req.unknownItems).toBeUndefined();
  });

  it('the P-DATA-TF of the requestor carries one whole C-ECHO-RQ command', () => {
    const [p] = pData(read('echo.scu.bin'));
    expect(p?.pdvs).toHaveLength(1);
    const pdv = p?.pdvs[0];
    expect(pdv).toMatchObject({ presentationContextId: 1, isCommand: true, isLast: true });
    const command = commandElements(pdv?.data ?? new Uint8Array());
    expect(us(command.get(0x00000100))).toBe(0x0030); // C-ECHO-RQ
    expect(new TextDecoder().decode(command.get(0x00000002))).toBe(`${VERIFICATION}\0`);
  });

  it('A-ASSOCIATE-AC echoes the AE titles in its reserved fields and accepts the context', () => {
    const pdus = read('echo.scp.bin');
    expect(pdus.map((p) => p.kind)).toEqual(['A-ASSOCIATE-AC', 'P-DATA-TF', 'A-RELEASE-RP']);
    const acc = ac(pdus);
    expect(acc).toEqual({
      kind: 'A-ASSOCIATE-AC',
      protocolVersion: 1,
      calledAeTitle: 'GOLDEN-SCP',
      callingAeTitle: 'GOLDEN-ECHO',
      applicationContextName: DICOM_APPLICATION_CONTEXT,
      presentationContexts: [{ id: 1, result: 0, transferSyntax: IMPLICIT_LE }],
      userInformation: dcmtkUserInformation(16384),
    });
    const [p] = pData(pdus);
    const command = commandElements(p?.pdvs[0]?.data ?? new Uint8Array());
    expect(us(command.get(0x00000100))).toBe(0x8030); // C-ECHO-RSP
    expect(us(command.get(0x00000900))).toBe(0x0000); // Success
  });
});

describe('storescu (all storage contexts, three files) -> storescp', () => {
  it('A-ASSOCIATE-RQ proposes 128 presentation contexts with odd IDs 1..255', () => {
    const req = rq(read('store.scu.bin'));
    expect(req.callingAeTitle).toBe('GOLDEN-STORE');
    expect(req.presentationContexts).toHaveLength(128);
    expect(req.presentationContexts.map((pc) => pc.id)).toEqual(Array.from({ length: 128 }, (_, i) => 2 * i + 1));
    for (const pc of req.presentationContexts) expect(pc.transferSyntaxes.length).toBeGreaterThan(0);
    const ct = req.presentationContexts.filter((pc) => pc.abstractSyntax === CT);
    expect(ct.map((pc) => pc.transferSyntaxes)).toEqual([[EXPLICIT_LE], [EXPLICIT_BE, IMPLICIT_LE]]);
  });

  it('A-ASSOCIATE-AC accepts all 128, and three C-STORE-RSPs report success', () => {
    const pdus = read('store.scp.bin');
    const acc = ac(pdus);
    expect(acc.presentationContexts).toHaveLength(128);
    expect(acc.presentationContexts.every((pc) => pc.result === 0)).toBe(true);
    const { commands } = messages(pdus);
    expect(commands.map((c) => us(commandElements(c).get(0x00000100)))).toEqual([0x8001, 0x8001, 0x8001]);
    expect(commands.map((c) => us(commandElements(c).get(0x00000900)))).toEqual([0, 0, 0]);
  });

  it('the data set PDVs carry exactly the data sets of the three files', () => {
    const pdus = read('store.scu.bin');
    const { commands, datasets } = messages(pdus);
    expect(commands.map((c) => us(commandElements(c).get(0x00000100)))).toEqual([0x0001, 0x0001, 0x0001]);
    expect(datasets).toEqual([datasetOfFile('ct-2x2.dcm'), datasetOfFile('mr-4x4.dcm'), datasetOfFile('sc-64x64.dcm')]);
    // The 8 KiB data set of the 64x64 file fits one PDV of the 16 KiB maximum.
    expect(pData(pdus).map((p) => p.pdvs.length)).toEqual([1, 1, 1, 1, 1, 1]);
  });
});

describe('storescu -usr NAME -pwd PASS', () => {
  it('the User Identity sub-item carries type 2 with username and passcode', () => {
    const req = rq(read('store-user-identity.scu.bin'));
    expect(req.userInformation).toEqual({
      ...dcmtkUserInformation(16384),
      userIdentity: {
        userIdentityType: 2,
        positiveResponseRequested: false,
        primaryField: ascii('NAME'),
        secondaryField: ascii('PASS'),
      },
    });
    expect(req.presentationContexts.map((pc) => [pc.id, pc.abstractSyntax, pc.transferSyntaxes])).toEqual([
      [1, CT, [EXPLICIT_LE]],
      [3, CT, [EXPLICIT_BE, IMPLICIT_LE]],
    ]);
  });

  it('storescp answers without a User Identity response (none was requested)', () => {
    const acc = ac(read('store-user-identity.scp.bin'));
    expect(acc.userInformation.userIdentityResponse).toBeUndefined();
    expect(acc.presentationContexts).toEqual([
      { id: 1, result: 0, transferSyntax: EXPLICIT_LE },
      { id: 3, result: 0, transferSyntax: EXPLICIT_BE },
    ]);
  });
});

describe('storescu -pdu 4096 -> storescp -pdu 4096', () => {
  it('both sides announce a Maximum Length Received of 4096', () => {
    const req = rq(read('store-small-pdu.scu.bin'));
    expect(req.userInformation.maximumLength).toBe(4096);
    expect(req.presentationContexts.map((pc) => pc.abstractSyntax)).toEqual([SC, SC]);
    expect(ac(read('store-small-pdu.scp.bin')).userInformation.maximumLength).toBe(4096);
  });

  it('the data set is fragmented over several P-DATA-TF within the limit, and reassembles to the file', () => {
    const pdus = read('store-small-pdu.scu.bin');
    const slices = splitPdus(fixture('store-small-pdu.scu.bin')).filter((s) => s[0] === 4);
    // DCMTK keeps the whole PDU, header included, within the peer's maximum: 4096 = 6 + 4090.
    expect(slices.map((s) => s.length)).toEqual([150, 4096, 4096, 374]);
    const fragments = pData(pdus).flatMap((p) => p.pdvs.filter((v) => !v.isCommand));
    expect(fragments.map((v) => [v.data.length, v.isLast])).toEqual([
      [4084, false],
      [4084, false],
      [362, true],
    ]);
    expect(messages(pdus).datasets).toEqual([datasetOfFile('sc-64x64.dcm')]);
    // The reader accepts these PDUs with maxPduLength 4096: the limit applies to the PDU-length (variable field).
    expect(createPduReader({ maxPduLength: 4096 }).push(fixture('store-small-pdu.scu.bin'))).toHaveLength(6);
  });
});

describe('storescu -xf / storescp -xf (role selection, extended negotiation, user identity type 1)', () => {
  it('A-ASSOCIATE-RQ', () => {
    const req = rq(read('store-profile.scu.bin'));
    expect(req.presentationContexts.map((pc) => [pc.id, pc.abstractSyntax, pc.transferSyntaxes])).toEqual([
      [1, CT, [EXPLICIT_LE, IMPLICIT_LE]],
      [3, MR, [EXPLICIT_LE, IMPLICIT_LE]],
      [5, VERIFICATION, [EXPLICIT_LE, IMPLICIT_LE]],
      [7, US, [EXPLICIT_LE, IMPLICIT_LE]],
      [9, CT, [JPEG_BASELINE]],
    ]);
    expect(req.userInformation).toEqual({
      ...dcmtkUserInformation(16384),
      // DCMTK repeats the CT role for the second CT presentation context.
      roleSelections: [
        { sopClassUid: CT, scuRole: 1, scpRole: 1 },
        { sopClassUid: MR, scuRole: 1, scpRole: 0 },
        { sopClassUid: CT, scuRole: 1, scpRole: 1 },
      ],
      sopClassExtendedNegotiations: [
        { sopClassUid: CT, serviceClassApplicationInformation: Uint8Array.of(2, 0, 3, 0, 0, 0) },
        { sopClassUid: MR, serviceClassApplicationInformation: Uint8Array.of(1) },
      ],
      userIdentity: {
        userIdentityType: 1,
        positiveResponseRequested: false,
        primaryField: ascii('ALICE'),
        secondaryField: new Uint8Array(0),
      },
    });
  });

  it('A-ASSOCIATE-AC rejects an unsupported abstract syntax (3) and unsupported transfer syntaxes (4)', () => {
    const acc = ac(read('store-profile.scp.bin'));
    expect(acc.calledAeTitle).toBe('GOLDEN-SCP');
    expect(acc.callingAeTitle).toBe('GOLDEN-PROFILE');
    expect(acc.presentationContexts).toEqual([
      { id: 1, result: 0, transferSyntax: EXPLICIT_LE },
      { id: 3, result: 0, transferSyntax: EXPLICIT_LE },
      { id: 5, result: 0, transferSyntax: EXPLICIT_LE },
      // Not significant for rejected contexts; DCMTK fills in Implicit VR Little Endian.
      { id: 7, result: 3, transferSyntax: IMPLICIT_LE },
      { id: 9, result: 4, transferSyntax: IMPLICIT_LE },
    ]);
    expect(acc.userInformation.roleSelections).toEqual([
      { sopClassUid: CT, scuRole: 1, scpRole: 1 },
      { sopClassUid: MR, scuRole: 1, scpRole: 0 },
    ]);
    expect(
      acc.userInformation.sopClassExtendedNegotiations?.map((e) => [
        e.sopClassUid,
        [...e.serviceClassApplicationInformation],
      ]),
    ).toEqual([
      [CT, [2, 0, 3, 0, 0, 0]],
      [MR, [1]],
    ]);
  });
});

describe('rejection and aborts', () => {
  it('storescp --refuse: A-ASSOCIATE-RJ rejected-permanent, service-user, no-reason-given', () => {
    const pdus = read('refuse.scp.bin');
    expect(pdus).toEqual([{ kind: 'A-ASSOCIATE-RJ', result: 1, source: 1, reason: 1 }]);
    expect(read('refuse.scu.bin').map((p) => p.kind)).toEqual(['A-ASSOCIATE-RQ']);
  });

  it('echoscu --abort: the requestor ends with A-ABORT from the service-user', () => {
    const pdus = read('echo-abort.scu.bin');
    expect(pdus.map((p) => p.kind)).toEqual(['A-ASSOCIATE-RQ', 'P-DATA-TF', 'A-ABORT']);
    expect(pdus[2]).toEqual({ kind: 'A-ABORT', source: 0, reason: 0 });
    expect(read('echo-abort.scp.bin').map((p) => p.kind)).toEqual(['A-ASSOCIATE-AC', 'P-DATA-TF']);
  });

  it('storescp --abort-after: the acceptor aborts after the C-STORE-RQ', () => {
    expect(read('store-scp-abort.scp.bin').map((p) => p.kind)).toEqual(['A-ASSOCIATE-AC', 'A-ABORT']);
    const pdus = read('store-scp-abort.scu.bin');
    expect(pdus.map((p) => p.kind)).toEqual(['A-ASSOCIATE-RQ', 'P-DATA-TF', 'P-DATA-TF']);
    expect(messages(pdus).datasets).toEqual([datasetOfFile('ct-2x2.dcm')]);
  });
});
