/**
 * Our encoder and reader against a real DCMTK storescp on loopback: the golden tests prove we read what DCMTK
 * writes; these prove DCMTK reads what we write. The test drives the PDU exchange by hand (no association layer):
 * A-ASSOCIATE-RQ, C-ECHO and a C-STORE fragmented at the peer's Maximum Length Received, A-RELEASE-RQ, A-ABORT.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxPdvDataLength, pDataTfLength } from './encode.js';
import { type PduConnection, commandSet, connectPdus } from './testing/connection.js';
import { type RunningScp, startScp } from './testing/dcmtk.js';
import { commandElements, datasetOfFile, us } from './testing/golden.js';
import type { AAssociateAc, AAssociateRq, PDataTf, Pdu, Pdv } from './types.js';

const VERIFICATION = '1.2.840.10008.1.1';
const SC = '1.2.840.10008.5.1.4.1.1.7';
const MR = '1.2.840.10008.5.1.4.1.1.4';
const IMPLICIT_LE = '1.2.840.10008.1.2';
const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const SC_INSTANCE = '2.25.27985404153466010924938186418934750402'; // the SOP Instance UID of sc-64x64.dcm

const request: AAssociateRq = {
  kind: 'A-ASSOCIATE-RQ',
  protocolVersion: 1,
  calledAeTitle: 'NETDICOM-SCP',
  callingAeTitle: 'NETDICOM',
  applicationContextName: '1.2.840.10008.3.1.1.1',
  presentationContexts: [
    { id: 1, abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE] },
    { id: 3, abstractSyntax: SC, transferSyntaxes: [EXPLICIT_LE, IMPLICIT_LE] },
    { id: 5, abstractSyntax: MR, transferSyntaxes: ['1.2.3.4.5.6.7'] },
    { id: 7, abstractSyntax: '1.2.3.4.5.6.8', transferSyntaxes: [IMPLICIT_LE] },
  ],
  userInformation: {
    maximumLength: 65536,
    implementationClassUid: '2.25.285723548233104712447346385468624113713',
    implementationVersionName: 'NETDICOM_PDU',
    asynchronousOperationsWindow: { maxOperationsInvoked: 1, maxOperationsPerformed: 1 },
    // PS3.8 9.3.1: items of unrecognized types shall be ignored; DCMTK does.
    unknownSubItems: [{ itemType: 0x5f, data: Uint8Array.of(1, 2, 3) }],
  },
};

let scp: RunningScp;
let outputDir: string;

beforeAll(async () => {
  outputDir = await mkdtemp(join(tmpdir(), 'netdicom-pdu-interop-'));
  scp = await startScp('storescp', ['-aet', 'NETDICOM-SCP', '-pdu', '4096', '-od', outputDir]);
});

afterAll(async () => {
  await scp?.stop();
  if (outputDir) await rm(outputDir, { recursive: true, force: true });
});

async function associate(): Promise<[PduConnection, AAssociateAc]> {
  const conn = await connectPdus(scp.port, 65536);
  conn.send(request);
  const reply = await conn.next();
  if (reply.kind !== 'A-ASSOCIATE-AC') throw new Error(`expected A-ASSOCIATE-AC, got ${JSON.stringify(reply)}`);
  return [conn, reply];
}

function pData(pdvs: Pdv[]): PDataTf {
  return { kind: 'P-DATA-TF', pdvs };
}

/** Receives P-DATA-TF PDUs until a command is complete; returns its elements. */
async function receiveCommand(conn: PduConnection): Promise<Map<number, Uint8Array>> {
  const bytes: number[] = [];
  for (;;) {
    const pdu: Pdu = await conn.next();
    if (pdu.kind !== 'P-DATA-TF') throw new Error(`expected P-DATA-TF, got ${pdu.kind}`);
    for (const pdv of pdu.pdvs) {
      expect(pdv.isCommand).toBe(true);
      bytes.push(...pdv.data);
      if (pdv.isLast) return commandElements(Uint8Array.from(bytes));
    }
  }
}

describe('interoperability with DCMTK storescp', () => {
  it('accepts our A-ASSOCIATE-RQ and answers with the contexts it supports', async () => {
    const [conn, ac] = await associate();
    expect(ac.calledAeTitle).toBe('NETDICOM-SCP');
    expect(ac.callingAeTitle).toBe('NETDICOM');
    expect(ac.presentationContexts.map(({ id, result }) => [id, result])).toEqual([
      [1, 0],
      [3, 0],
      [5, 4], // transfer-syntaxes-not-supported
      [7, 3], // abstract-syntax-not-supported
    ]);
    expect(ac.presentationContexts[0]?.transferSyntax).toBe(IMPLICIT_LE);
    expect(ac.presentationContexts[1]?.transferSyntax).toBe(EXPLICIT_LE);
    expect(ac.userInformation.maximumLength).toBe(4096);
    expect(ac.userInformation.implementationClassUid).toMatch(/^1\.2\.276\.0\.7230010\.3\./);
    conn.send({ kind: 'A-ABORT', source: 0, reason: 0 });
    await conn.closed;
  });

  it('answers a C-ECHO, stores a data set we fragment at its Maximum Length Received, and releases', async () => {
    const [conn, ac] = await associate();
    const peerMax = ac.userInformation.maximumLength ?? 0;

    conn.send(
      pData([
        {
          presentationContextId: 1,
          isCommand: true,
          isLast: true,
          data: commandSet([
            [0x0002, VERIFICATION],
            [0x0100, 0x0030],
            [0x0110, 1],
            [0x0800, 0x0101],
          ]),
        },
      ]),
    );
    const echo = await receiveCommand(conn);
    expect(us(echo.get(0x0100))).toBe(0x8030);
    expect(us(echo.get(0x0120))).toBe(1);
    expect(us(echo.get(0x0900))).toBe(0);

    const dataset = datasetOfFile('sc-64x64.dcm');
    conn.send(
      pData([
        {
          presentationContextId: 3,
          isCommand: true,
          isLast: true,
          data: commandSet([
            [0x0002, SC],
            [0x0100, 0x0001],
            [0x0110, 2],
            [0x0700, 0],
            [0x0800, 0x0000],
            [0x1000, SC_INSTANCE],
          ]),
        },
      ]),
    );
    const fragment = maxPdvDataLength(peerMax);
    // Full fragments fill the variable field up to exactly the peer's Maximum Length Received (PS3.8 D.1): 6 bytes
    // more than DCMTK itself sends (it keeps the PDU header within the limit too), and storescp accepts them.
    expect(pDataTfLength([fragment])).toBe(peerMax);
    let fragments = 0;
    for (let at = 0; at < dataset.length; at += fragment) {
      const data = dataset.subarray(at, at + fragment);
      conn.send(pData([{ presentationContextId: 3, isCommand: false, isLast: at + fragment >= dataset.length, data }]));
      fragments++;
    }
    expect(fragments).toBeGreaterThan(1);
    const store = await receiveCommand(conn);
    expect(us(store.get(0x0100))).toBe(0x8001);
    expect(us(store.get(0x0120))).toBe(2);
    expect(us(store.get(0x0900))).toBe(0);

    conn.send({ kind: 'A-RELEASE-RQ' });
    expect(await conn.next()).toEqual({ kind: 'A-RELEASE-RP' });
    conn.socket.end();
    await conn.closed;

    // storescp wrote what we sent: its file holds the same data set.
    const files = (await readdir(outputDir)).filter((f) => f.includes(SC_INSTANCE));
    expect(files).toHaveLength(1);
    const written = new Uint8Array(await readFile(join(outputDir, files[0] as string)));
    const groupLength = new DataView(written.buffer, written.byteOffset).getUint32(140, true);
    expect(Buffer.from(written.subarray(144 + groupLength))).toEqual(Buffer.from(dataset));
  });
});
