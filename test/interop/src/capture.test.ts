/**
 * Our traffic as Wireshark's DICOM dissector sees it: an independent decoder of the PDUs (PS3.8 section 9.3) and
 * DIMSE messages (PS3.7) netdicom puts on the wire, both roles. One capture on loopback of `StoreScuSession` talking
 * to `StoreScp`: an association with a C-ECHO, C-STOREs in five transfer syntaxes (a 128 KiB MR split over nine
 * P-DATA-TF PDUs among them) and a release; then an association ended by A-ABORT. tshark must find every message in
 * its place, and its expert information no error and no warning but the one our deliberate A-ABORT causes.
 */
import { connect } from 'node:net';
import { rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { StoreScuSession } from '@netdicom/store-scu';
import {
  type DicomCaptureDecode,
  decodeDicomCapture,
  type Fixture,
  type FixtureKind,
  freePort,
  makeFixture,
  type RunningCapture,
  startCapture,
  TRANSFER_SYNTAXES,
} from '@netdicom/test-peers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MatrixScp, startMatrixScp } from './testing/netdicom-scp.js';

/** What is stored, in this order: native explicit LE, encapsulated, deflated, implicit, big endian. */
const STORED: readonly [FixtureKind, string][] = [
  ['mr', 'ExplicitVRLittleEndian'],
  ['sc-rgb', 'JPEGLossless'],
  ['sr', 'DeflatedExplicitVRLittleEndian'],
  ['odd-utf8', 'ImplicitVRLittleEndian'],
  ['rt-plan', 'ExplicitVRBigEndian'],
];
const CALLING_AE = 'CAPTURE-SCU';

let scp: MatrixScp | undefined;
let capture: RunningCapture | undefined;
let fixtures: Fixture[];
const statuses: number[] = [];
const echoes: number[] = [];
let decoded: DicomCaptureDecode;

/**
 * tshark prints "Capturing on" a moment before packets are really captured. Knock on a closed port that the capture
 * also filters (SYN, RST) until the capture file grows, so that no PDU of the exchange is missed.
 */
async function waitUntilCapturing(running: RunningCapture, probePort: number): Promise<void> {
  const sizeOf = () =>
    stat(running.path).then(
      (s) => s.size,
      () => 0,
    );
  const deadline = Date.now() + 15_000;
  const initial = await sizeOf();
  while ((await sizeOf()) <= initial) {
    if (Date.now() > deadline) throw new Error('tshark captured nothing within 15 s');
    await new Promise<void>((resolve) => {
      const socket = connect(probePort, '127.0.0.1');
      socket.on('error', () => resolve());
      socket.on('connect', () => {
        socket.destroy();
        resolve();
      });
    });
    await delay(50);
  }
}

beforeAll(async () => {
  fixtures = await Promise.all(STORED.map(([kind, ts]) => makeFixture(kind, ts)));
  // A small Maximum Length Received splits the 128 KiB MR over several P-DATA-TF PDUs (PS3.8 9.3.5).
  scp = await startMatrixScp({ maxPduLength: 16_384 });
  const probePort = await freePort();
  capture = await startCapture({ ports: [scp.port, probePort] });
  await waitUntilCapturing(capture, probePort);
  const addr = `127.0.0.1:${scp.port}`;

  const session = await StoreScuSession.connect({
    addr,
    callingAeTitle: CALLING_AE,
    calledAeTitle: scp.aeTitle,
    files: fixtures.map((f) => f.path),
  });
  echoes.push((await session.echo()).code);
  for (const fixture of fixtures) statuses.push((await session.store(fixture.path)).code);
  await session.release();

  const aborted = await StoreScuSession.connect({ addr, callingAeTitle: CALLING_AE, calledAeTitle: scp.aeTitle });
  echoes.push((await aborted.echo()).code);
  await aborted.abort();

  // Both associations over on the SCP's side too: every PDU is on the wire before the capture stops.
  const deadline = Date.now() + 10_000;
  while (scp.ended.length < 2 && Date.now() < deadline) await delay(20);
  const path = await capture.stop(300);
  capture = undefined;
  decoded = await decodeDicomCapture(path, [scp.port]);
  await rm(dirname(path), { recursive: true, force: true });
}, 300_000);

afterAll(async () => {
  if (capture !== undefined) await rm(dirname(await capture.stop(0)), { recursive: true, force: true });
  await scp?.remove();
});

/** Info column of the DICOM frames, in order. */
const infos = () => decoded.frames.map((f) => f.info);

/** A frame that carries data set bytes of a C-STORE-RQ (a fragment, the last one named by its SOP Class). */
const isDataFrame = (info: string) =>
  /^P-DATA, (PDV Fragment|C-STORE-RQ-DATA|[^,]* Storage)/.test(info) && !/C-STORE-R[QS]P? ID=/.test(info);

/**
 * Wireshark 4.0's DICOM dissector cannot parse a deflated or encapsulated data set (PS3.5 A.5, A.4); when it builds
 * a protocol tree it carries a half-read tag of it into the next PDV of the same presentation context, which is the
 * C-STORE-RSP command, and labels that frame `P-DATA, Command`. DCMTK's own storescu -> storescp exchange of the same
 * files gets the same label on the same frames, so for those contexts this is the response too.
 */
function responseLabels(transferSyntaxUid: string, messageId: number): RegExp {
  const info = TRANSFER_SYNTAXES.find((ts) => ts.uid === transferSyntaxUid);
  const success = `P-DATA, C-STORE-RSP ID=${messageId} \\(Success\\)`;
  return info !== undefined && (info.deflated || info.encapsulated)
    ? new RegExp(`^(${success}|P-DATA, Command)$`)
    : new RegExp(`^${success}$`);
}

describe('tshark decodes our traffic', () => {
  it('the exchange itself succeeded: echoes and stores answered Success, one release, one abort', () => {
    expect(echoes).toEqual([0, 0]);
    expect(statuses).toEqual(STORED.map(() => 0));
    expect(scp!.received.size).toBe(STORED.length);
    expect(scp!.ended.map((e) => e.reason).sort()).toEqual(['peer-aborted', 'released']);
  });

  it('the DICOM dissector saw both associations: A-ASSOCIATE-RQ/AC, C-ECHO, A-RELEASE-RQ/RP, A-ABORT', () => {
    const all = infos();
    const count = (pattern: RegExp) => all.filter((info) => pattern.test(info)).length;
    expect(count(new RegExp(`^A-ASSOCIATE request ${CALLING_AE} --> NETDICOM$`))).toBe(2);
    expect(count(new RegExp(`^A-ASSOCIATE accept +${CALLING_AE} <-- NETDICOM$`))).toBe(2);
    expect(count(/^P-DATA, C-ECHO-RQ ID=1$/)).toBe(2);
    expect(count(/^P-DATA, C-ECHO-RSP ID=1 \(Success\)$/)).toBe(2);
    expect(count(/^A-RELEASE request$/)).toBe(1);
    expect(count(/^A-RELEASE response$/)).toBe(1);
    expect(count(/ABORT/)).toBe(1);
    // Order of the first association, then the aborted one.
    expect(all[0]).toMatch(/^A-ASSOCIATE request/);
    expect(all[1]).toMatch(/^A-ASSOCIATE accept/);
    expect(all.slice(-5)).toEqual([
      expect.stringMatching(/^A-ASSOCIATE request/),
      expect.stringMatching(/^A-ASSOCIATE accept/),
      'P-DATA, C-ECHO-RQ ID=1',
      'P-DATA, C-ECHO-RSP ID=1 (Success)',
      expect.stringMatching(/^ABORT/),
    ]);
  });

  for (const [index, [kind, keyword]] of STORED.entries()) {
    const messageId = index + 2; // 1 was the C-ECHO
    it(`C-STORE of ${kind} in ${keyword}: P-DATA with C-STORE-RQ ID=${messageId}, its data set, then C-STORE-RSP`, () => {
      const all = infos();
      const start = all.indexOf(`P-DATA, C-STORE-RQ ID=${messageId}`);
      expect(start, 'C-STORE-RQ seen').toBeGreaterThan(0);
      const end = all.findIndex(
        (info, i) => i > start && (/^P-DATA, C-STORE-RQ ID=/.test(info) || /^A-RELEASE request$/.test(info)),
      );
      const between = all.slice(start + 1, end);
      expect(between.length, 'data set and response').toBeGreaterThanOrEqual(2);
      expect(between.slice(0, -1).filter((info) => !isDataFrame(info))).toEqual([]);
      expect(between.at(-1)).toMatch(responseLabels(fixtures[index]!.transferSyntaxUid, messageId));
    });
  }

  it('the MR data set went out in several P-DATA-TF PDUs that the dissector put back together', () => {
    const all = infos();
    const start = all.indexOf('P-DATA, C-STORE-RQ ID=2');
    const end = all.indexOf('P-DATA, C-STORE-RQ ID=3');
    expect(all.slice(start, end).filter((info) => info === 'P-DATA, PDV Fragment').length).toBeGreaterThanOrEqual(7);
    // The last PDU may carry the final fragment alone or after another PDV: "[PDV Fragment, ]MR Image Storage".
    expect(all.slice(start, end).some((info) => /^P-DATA, (PDV Fragment, )?MR Image Storage$/.test(info))).toBe(true);
  });

  it('reports no error, and no DICOM warning but the abort we sent, in its expert information', () => {
    // TCP's own warnings (a D-SACK now and then on a busy loopback) say nothing about our bytes.
    const problems = decoded.expert.filter(
      (e) => e.severity === 'error' || (e.severity === 'warning' && e.protocol === 'DICOM'),
    );
    expect(problems).toEqual([
      { severity: 'warning', count: 1, group: 'Response', protocol: 'DICOM', summary: 'Association aborted' },
    ]);
  });
});
