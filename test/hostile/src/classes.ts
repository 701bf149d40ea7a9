/**
 * The catalogue of hostile peers: each class is one connection that misbehaves in one way, with the answer PS3.8 /
 * PS3.7 / PS3.4 prescribe for it, as data (`expected`) to compare with what the SCP really sent (`run`). The tests
 * run each class once against a StoreScp child and compare exactly; the soak runs thousands of them, mixed.
 *
 * Answers used below (PS3.8 Table 9-26 A-ABORT, Table 9-21 A-ASSOCIATE-RJ, PS3.8 9.2 Table 9-10 state machine):
 * - bytes before an A-ASSOCIATE-RQ that are not one (Sta2, Evt19 or a PDU other than A-ASSOCIATE-RQ): AA-1, an
 *   A-ABORT with source 0 (service-user) and reason 0: `07 00 00000004 0000 00 00`;
 * - an invalid PDU once associated (Sta6, Evt19): AA-8, A-ABORT source 2 (service-provider) with the reason found:
 *   1 unrecognized-PDU, 6 invalid-PDU-parameter-value;
 * - a valid PDU in the wrong state (Sta6): AA-8, A-ABORT source 2 reason 2 unexpected-PDU;
 * - a command set whose bytes cannot be trusted: the DIMSE user aborts (A-ABORT source 0, reason 0);
 * - a request it can name but not serve: a response with a failure status (PS3.7 C.5), the association goes on;
 * - a data set it cannot read: 0xC000 (PS3.4 B.2.3 Cannot understand), nothing stored.
 * After an A-ABORT the SCP waits for the peer to close, at most its ARTIM time (Sta13), then closes itself.
 */
import { decodeCommandSet } from '@netdicom/dimse';
import { decodePdu } from '@netdicom/pdu';
import { buildInstance, deflateBomb, encodeExplicitLe, nestedSequences } from './testing/dataset.js';
import { RawPeer } from './testing/raw-peer.js';
import { createRng, type Rng } from './testing/rng.js';
import {
  A_RELEASE_RP,
  A_RELEASE_RQ,
  aAbort,
  aAssociateRj,
  type AssociateRqOptions,
  associateRq,
  CT_IMAGE_STORAGE,
  commandPdu,
  commandsOf,
  DEFLATED_EXPLICIT_VR_LE,
  datasetPdus,
  decodePdus,
  EXPLICIT_VR_LE,
  echoRq,
  hex,
  IMPLICIT_VR_LE,
  pDataTf,
  rawPdu,
  splitPdus,
  storeRq,
  VERIFICATION,
} from './testing/wire.js';

/** How a class is run. */
export interface HostileContext {
  readonly port: number;
  /** Seed of the class's own randomness (random bytes, cut points). */
  readonly seed: number;
  /**
   * Wait for the SCP to close the connection itself (tests: proves the close bound), or hang up as soon as the answer
   * is complete, as a real peer would (the soak: thousands of connections).
   */
  readonly waitForClose: boolean;
  /** Bound within which the SCP must close after answering: its ARTIM timeout plus a margin, ms. */
  readonly closeBoundMs: number;
}

/** What a class observed (and what it expects): plain data, compared with deep equality. */
export type Outcome = Readonly<Record<string, unknown>>;

/** One hostile class. */
export interface HostileClass {
  /** Stable identifier (kebab-case). */
  readonly id: string;
  /** Number of the failure class in the reliability document (1-10, see docs/reliability.md). */
  readonly family: number;
  /** What the peer does. */
  readonly title: string;
  /** The answer in words, with its PS3.x reference. */
  readonly answer: string;
  /** The outcome `run` must return. */
  readonly expected: Outcome;
  /** Runs one connection (or a few, sequentially) and reports what happened. */
  run(context: HostileContext): Promise<Outcome>;
  /** Part of the soak mix (false for the slow ones: bombs, timers). */
  readonly soak: boolean;
}

const ABORT_USER = hex(aAbort(0, 0));
const ABORT_UNEXPECTED_PDU = hex(aAbort(2, 2));
const ABORT_UNRECOGNIZED_PDU = hex(aAbort(2, 1));
const ABORT_INVALID_PARAMETER = hex(aAbort(2, 6));

const VERIFICATION_CONTEXT = [{ id: 1, abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_VR_LE] }];
const STORE_CONTEXTS = [
  { id: 1, abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_VR_LE] },
  { id: 3, abstractSyntax: CT_IMAGE_STORAGE, transferSyntaxes: [EXPLICIT_VR_LE] },
  { id: 5, abstractSyntax: CT_IMAGE_STORAGE, transferSyntaxes: [DEFLATED_EXPLICIT_VR_LE] },
];

/** A UID unique to this run and seed (2.25 root, PS3.5 B.2), so that stored files never collide. */
export function uniqueUid(rng: Rng): string {
  return `2.25.${rng.u32()}${rng.u32()}${rng.u32()}`.slice(0, 64);
}

/**
 * Connects, optionally associates, sends `bytes`, and returns the bytes answered after the A-ASSOCIATE-AC (if any):
 * all of them once the SCP closed (`waitForClose`), or the first `answerLength` ones.
 */
async function exchange(
  context: HostileContext,
  options: { associate?: AssociateRqOptions; send: readonly Uint8Array[]; answerLength: number },
): Promise<Outcome> {
  const peer = await RawPeer.connect(context.port);
  try {
    let skip = 0;
    if (options.associate) {
      await peer.associate(options.associate);
      skip = 1;
    }
    for (const bytes of options.send) peer.write(bytes);
    if (context.waitForClose) {
      const closed = await peer.waitClosed(context.closeBoundMs);
      return { answer: hex(peer.receivedAfter(skip)), closedByScp: closed.byScp };
    }
    await waitAfter(peer, skip, options.answerLength, context.closeBoundMs);
    return { answer: hex(peer.receivedAfter(skip).subarray(0, options.answerLength)), closedByScp: true };
  } finally {
    peer.destroy();
  }
}

async function waitAfter(peer: RawPeer, skip: number, length: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (peer.receivedAfter(skip).length < length && !peer.isDone) {
    await peer.waitForBytes(peer.received.length + 1, Math.max(1, deadline - Date.now()));
  }
}

/** An abort-type class: `send` bytes (after associating when `associate`), expect exactly `answer`, then a close. */
function abortClass(
  spec: Omit<HostileClass, 'expected' | 'run' | 'soak'> & {
    associate?: AssociateRqOptions;
    send: (rng: Rng) => Uint8Array[];
    expectedAnswer: string;
    soak?: boolean;
  },
): HostileClass {
  return {
    id: spec.id,
    family: spec.family,
    title: spec.title,
    answer: spec.answer,
    soak: spec.soak ?? true,
    expected: { answer: spec.expectedAnswer, closedByScp: true },
    run: (context) =>
      exchange(context, {
        ...(spec.associate ? { associate: spec.associate } : {}),
        send: spec.send(createRng(context.seed)),
        answerLength: spec.expectedAnswer.length / 2,
      }),
  };
}

/**
 * Associates with the storage contexts, runs `conversation` (which sends requests), collects the statuses of the
 * responses to the `expectResponses` requests, then releases (A-RELEASE-RQ, expecting the A-RELEASE-RP).
 */
async function dimseExchange(
  context: HostileContext,
  options: {
    associate?: AssociateRqOptions;
    expectResponses: number;
    conversation: (peer: RawPeer, rng: Rng) => Promise<void> | void;
    timeoutMs?: number;
  },
): Promise<Outcome> {
  const peer = await RawPeer.connect(context.port);
  const rng = createRng(context.seed);
  try {
    await peer.associate(options.associate ?? { contexts: STORE_CONTEXTS });
    await options.conversation(peer, rng);
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    const answered = () => {
      const pdus = decodePdus(peer.receivedAfter(1));
      const { commands, others } = commandsOf(pdus);
      return { commands, others };
    };
    for (;;) {
      const { commands, others } = answered();
      if (commands.length >= options.expectResponses || others.length > 0 || peer.isDone) break;
      await peer.waitForBytes(peer.received.length + 1, Math.max(1, deadline - Date.now()));
    }
    const { commands, others } = answered();
    const statuses = commands.map((c) => decodeCommandSet(c, { validate: false }).status);
    if (others.length > 0 || peer.isDone) {
      return { statuses, otherPdus: others, released: false };
    }
    const before = splitPdus(peer.received).pdus.length;
    peer.write(A_RELEASE_RQ);
    const rp = await peer.waitForPdu(before, 30_000);
    peer.end();
    return { statuses, otherPdus: others, released: rp !== undefined && hex(rp) === hex(A_RELEASE_RP) };
  } finally {
    peer.destroy();
  }
}

/** Sends one C-STORE (command on context 3 or 5, data set in PDVs) and expects one response. */
function storeClass(
  spec: Omit<HostileClass, 'expected' | 'run' | 'soak'> & {
    contextId?: number;
    instance: (rng: Rng) => { sopInstanceUid: string; dataset: Uint8Array };
    expectedStatus: number;
    soak?: boolean;
  },
): HostileClass {
  return {
    id: spec.id,
    family: spec.family,
    title: spec.title,
    answer: spec.answer,
    soak: spec.soak ?? true,
    expected: { statuses: [spec.expectedStatus], otherPdus: [], released: true },
    run: (context) =>
      dimseExchange(context, {
        expectResponses: 1,
        conversation: async (peer, rng) => {
          const contextId = spec.contextId ?? 3;
          const { sopInstanceUid, dataset } = spec.instance(rng);
          peer.write(commandPdu(contextId, storeRq(1, CT_IMAGE_STORAGE, sopInstanceUid)));
          for (const pdu of datasetPdus(contextId, dataset)) await peer.writeAll(pdu);
        },
      }),
  };
}

/** A valid instance with a fresh UID. */
function goodInstance(rng: Rng, extra: Partial<Parameters<typeof buildInstance>[0]> = {}) {
  const sopInstanceUid = uniqueUid(rng);
  return { sopInstanceUid, dataset: buildInstance({ sopInstanceUid, ...extra }) };
}

const ECHO_COMMAND = echoRq(1);

/** A command set whose Command Group Length (0000,0000) says `delta` bytes more than follow (PS3.7 E.1). */
function lyingGroupLength(delta: number): Uint8Array {
  const bytes = Buffer.from(ECHO_COMMAND);
  bytes.writeUInt32LE(bytes.readUInt32LE(8) + delta, 8);
  return bytes;
}

/** An A-ASSOCIATE-RQ whose first presentation context item announces more bytes than the PDU holds. */
function rqWithOverflowingItem(): Uint8Array {
  const bytes = Buffer.from(associateRq({ contexts: VERIFICATION_CONTEXT }));
  // Variable items start at offset 74: application context item (type 10), then the presentation context (20).
  const appContextLength = bytes.readUInt16BE(74 + 2);
  const pc = 74 + 4 + appContextLength;
  if (bytes[pc] !== 0x20) throw new Error('unexpected A-ASSOCIATE-RQ layout');
  bytes.writeUInt16BE(0xfff0, pc + 2);
  return bytes;
}

/** An A-ASSOCIATE-RQ whose abstract syntax sub-item announces more bytes than its presentation context item. */
function rqWithOverflowingSubItem(): Uint8Array {
  const bytes = Buffer.from(associateRq({ contexts: VERIFICATION_CONTEXT }));
  const appContextLength = bytes.readUInt16BE(74 + 2);
  const pc = 74 + 4 + appContextLength;
  const abstractSyntax = pc + 8;
  if (bytes[abstractSyntax] !== 0x30) throw new Error('unexpected A-ASSOCIATE-RQ layout');
  bytes.writeUInt16BE(bytes.readUInt16BE(pc + 2) + 40, abstractSyntax + 2);
  return bytes;
}

/** Random bytes whose first byte is no PDU type (so the answer is determined: AA-1). */
function randomGarbage(rng: Rng, length: number): Uint8Array {
  const bytes = rng.bytes(length);
  while (bytes[0]! >= 1 && bytes[0]! <= 7) bytes[0] = rng.int(256);
  return bytes;
}

/** The start of a TLS 1.2 ClientHello record (content type 22, version 3.1) with a random body. */
function tlsClientHello(rng: Rng): Uint8Array {
  const body = rng.bytes(200);
  body.set([0x01, 0x00, 0x00, 0xc4, 0x03, 0x03], 0);
  return Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x00, 0xc8]), body]);
}

const HTTP_REQUEST = Buffer.from(
  'GET /wado?requestType=WADO HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: hostile\r\nAccept: */*\r\n\r\n',
);

/** Every hostile class of the suite, in the order of the reliability document. */
export const HOSTILE_CLASSES: readonly HostileClass[] = [
  // 1. Trusting announced lengths.
  abortClass({
    id: 'length-4gib-before-association',
    family: 1,
    title: 'an A-ASSOCIATE-RQ header announcing 4 GiB (0xFFFFFFFF)',
    answer: 'A-ABORT source 0 reason 0 (Sta2, Evt19, AA-1) after the 6 header bytes, nothing buffered; closed',
    send: () => [new Uint8Array([0x01, 0x00, 0xff, 0xff, 0xff, 0xff])],
    expectedAnswer: ABORT_USER,
  }),
  abortClass({
    id: 'length-4gib-p-data',
    family: 1,
    title: 'a P-DATA-TF header announcing 4 GiB once associated',
    answer: 'A-ABORT source 2 reason 6 invalid-PDU-parameter-value (AA-8); closed',
    associate: { contexts: VERIFICATION_CONTEXT },
    send: () => [new Uint8Array([0x04, 0x00, 0xff, 0xff, 0xff, 0xff])],
    expectedAnswer: ABORT_INVALID_PARAMETER,
  }),
  abortClass({
    id: 'length-above-max-pdu',
    family: 1,
    title: 'a P-DATA-TF one byte longer than our Maximum Length Received (256 KiB)',
    answer: 'A-ABORT source 2 reason 6 (AA-8) as soon as the header is read; closed',
    associate: { contexts: VERIFICATION_CONTEXT },
    send: () => [rawPdu(0x04, new Uint8Array(0), 256 * 1024 + 1)],
    expectedAnswer: ABORT_INVALID_PARAMETER,
  }),
  abortClass({
    id: 'item-overflows-pdu',
    family: 1,
    title: 'an A-ASSOCIATE-RQ whose presentation context item is longer than the PDU',
    answer: 'A-ABORT source 0 reason 0 (Sta2, Evt19, AA-1); closed',
    send: () => [rqWithOverflowingItem()],
    expectedAnswer: ABORT_USER,
  }),
  abortClass({
    id: 'sub-item-overflows-item',
    family: 1,
    title: 'an abstract syntax sub-item longer than its presentation context item',
    answer: 'A-ABORT source 0 reason 0 (Sta2, Evt19, AA-1); closed',
    send: () => [rqWithOverflowingSubItem()],
    expectedAnswer: ABORT_USER,
  }),
  abortClass({
    id: 'pdv-length-0',
    family: 1,
    title: 'a PDV item of length 0 (no context ID, no control header)',
    answer: 'A-ABORT source 2 reason 6 (AA-8); closed',
    associate: { contexts: VERIFICATION_CONTEXT },
    send: () => [pDataTf([{ contextId: 1, command: true, last: true, data: new Uint8Array(0), itemLength: 0 }])],
    expectedAnswer: ABORT_INVALID_PARAMETER,
  }),
  abortClass({
    id: 'pdv-length-1',
    family: 1,
    title: 'a PDV item of length 1',
    answer: 'A-ABORT source 2 reason 6 (AA-8); closed',
    associate: { contexts: VERIFICATION_CONTEXT },
    send: () => [pDataTf([{ contextId: 1, command: true, last: true, data: new Uint8Array(0), itemLength: 1 }])],
    expectedAnswer: ABORT_INVALID_PARAMETER,
  }),
  abortClass({
    id: 'pdv-overflows-pdu',
    family: 1,
    title: 'a PDV item announcing more bytes than its P-DATA-TF holds',
    answer: 'A-ABORT source 2 reason 6 (AA-8); closed',
    associate: { contexts: VERIFICATION_CONTEXT },
    send: () => [pDataTf([{ contextId: 1, command: true, last: true, data: ECHO_COMMAND, itemLength: 0x7fffffff }])],
    expectedAnswer: ABORT_INVALID_PARAMETER,
  }),
  abortClass({
    id: 'unknown-pdu-type-before-association',
    family: 1,
    title: 'an unknown PDU type (0x09) as the first PDU',
    answer: 'A-ABORT source 0 reason 0 (Sta2, Evt19, AA-1); closed',
    send: () => [rawPdu(0x09, new Uint8Array(4))],
    expectedAnswer: ABORT_USER,
  }),
  abortClass({
    id: 'unknown-pdu-type-associated',
    family: 1,
    title: 'an unknown PDU type (0x09) once associated',
    answer: 'A-ABORT source 2 reason 1 unrecognized-PDU (AA-8); closed',
    associate: { contexts: VERIFICATION_CONTEXT },
    send: () => [rawPdu(0x09, new Uint8Array(4))],
    expectedAnswer: ABORT_UNRECOGNIZED_PDU,
  }),
  abortClass({
    id: 'http-request',
    family: 10,
    title: 'an HTTP request on the DICOM port',
    answer: "A-ABORT source 0 reason 0 ('G' = 0x47 is no PDU type: Sta2, Evt19, AA-1); closed",
    send: () => [HTTP_REQUEST],
    expectedAnswer: ABORT_USER,
  }),
  abortClass({
    id: 'tls-client-hello',
    family: 10,
    title: 'a TLS ClientHello on the plain DICOM port',
    answer: 'A-ABORT source 0 reason 0 (0x16 is no PDU type: AA-1); closed at once, no TLS alert',
    send: (rng) => [tlsClientHello(rng)],
    expectedAnswer: ABORT_USER,
  }),
  abortClass({
    id: 'random-bytes',
    family: 1,
    title: '4 KiB of random bytes (seeded; first byte no PDU type)',
    answer: 'A-ABORT source 0 reason 0 (AA-1); closed',
    send: (rng) => [randomGarbage(rng, 4096)],
    expectedAnswer: ABORT_USER,
  }),
  abortClass({
    id: 'random-bytes-associated',
    family: 1,
    title: '4 KiB of random bytes once associated (first byte no PDU type)',
    answer: 'A-ABORT source 2 reason 1 unrecognized-PDU (AA-8); closed',
    associate: { contexts: VERIFICATION_CONTEXT },
    send: (rng) => [randomGarbage(rng, 4096)],
    expectedAnswer: ABORT_UNRECOGNIZED_PDU,
  }),
  // 3. The state machine.
  abortClass({
    id: 'p-data-before-association',
    family: 3,
    title: 'a P-DATA-TF (C-ECHO-RQ) before any A-ASSOCIATE-RQ',
    answer: 'A-ABORT source 0 reason 0 (Sta2, Evt10, AA-1); closed',
    send: () => [commandPdu(1, ECHO_COMMAND)],
    expectedAnswer: ABORT_USER,
  }),
  abortClass({
    id: 'release-before-association',
    family: 3,
    title: 'an A-RELEASE-RQ before any A-ASSOCIATE-RQ',
    answer: 'A-ABORT source 0 reason 0 (Sta2, Evt12, AA-1); closed',
    send: () => [A_RELEASE_RQ],
    expectedAnswer: ABORT_USER,
  }),
  abortClass({
    id: 'second-associate-rq',
    family: 3,
    title: 'a second A-ASSOCIATE-RQ on an established association',
    answer: 'A-ABORT source 2 reason 2 unexpected-PDU (Sta6, Evt6, AA-8); closed',
    associate: { contexts: VERIFICATION_CONTEXT },
    send: () => [associateRq({ contexts: VERIFICATION_CONTEXT })],
    expectedAnswer: ABORT_UNEXPECTED_PDU,
  }),
  abortClass({
    id: 'release-rp-without-request',
    family: 3,
    title: 'an A-RELEASE-RP in Sta6 (release in the wrong state)',
    answer: 'A-ABORT source 2 reason 2 unexpected-PDU (Sta6, Evt13, AA-8); closed',
    associate: { contexts: VERIFICATION_CONTEXT },
    send: () => [A_RELEASE_RP],
    expectedAnswer: ABORT_UNEXPECTED_PDU,
  }),
  abortClass({
    id: 'associate-rj-to-acceptor',
    family: 3,
    title: 'an A-ASSOCIATE-RJ sent to the acceptor in Sta6',
    answer: 'A-ABORT source 2 reason 2 unexpected-PDU (Sta6, Evt4, AA-8); closed',
    associate: { contexts: VERIFICATION_CONTEXT },
    send: () => [aAssociateRj(1, 1, 1)],
    expectedAnswer: ABORT_UNEXPECTED_PDU,
  }),
  abortClass({
    id: 'p-data-unknown-context',
    family: 3,
    title: 'P-DATA on presentation context 7, never negotiated',
    answer: 'A-ABORT source 2 reason 6 invalid-PDU-parameter-value (AA-8); closed',
    associate: { contexts: VERIFICATION_CONTEXT },
    send: () => [commandPdu(7, ECHO_COMMAND)],
    expectedAnswer: ABORT_INVALID_PARAMETER,
  }),
  abortClass({
    id: 'associate-rq-no-presentation-context',
    family: 3,
    title: 'an A-ASSOCIATE-RQ with no presentation context item (PS3.8 9.3.2 requires one or more)',
    answer: 'A-ASSOCIATE-RJ rejected-permanent (1), service-user (1), no-reason-given (1); closed',
    send: () => [associateRq({ contexts: [] })],
    expectedAnswer: hex(aAssociateRj(1, 1, 1)),
  }),
  // 9. Hostile command sets.
  abortClass({
    id: 'garbage-command-set',
    family: 9,
    title: 'a command PDV of random bytes',
    answer: 'A-ABORT source 0 reason 0 (the DIMSE user aborts: the bytes cannot be trusted); closed',
    associate: { contexts: VERIFICATION_CONTEXT },
    send: (rng) => [commandPdu(1, rng.bytes(64))],
    expectedAnswer: ABORT_USER,
  }),
  abortClass({
    id: 'command-group-length-too-long',
    family: 9,
    title: 'a C-ECHO-RQ whose Command Group Length says 10 bytes more than follow',
    answer: 'A-ABORT source 0 reason 0 (structural: group length lies); closed',
    associate: { contexts: VERIFICATION_CONTEXT },
    send: () => [commandPdu(1, lyingGroupLength(10))],
    expectedAnswer: ABORT_USER,
  }),
  abortClass({
    id: 'command-group-length-too-short',
    family: 9,
    title: 'a C-ECHO-RQ whose Command Group Length says 8 bytes fewer than follow',
    answer: 'A-ABORT source 0 reason 0 (structural: group length lies); closed',
    associate: { contexts: VERIFICATION_CONTEXT },
    send: () => [commandPdu(1, lyingGroupLength(-8))],
    expectedAnswer: ABORT_USER,
  }),
  {
    id: 'command-unknown-field',
    family: 9,
    title: 'a well-formed command set with Command Field 0x0FF0 (no such command)',
    answer: '0x0211 Unrecognized operation (PS3.7 C.5.6); the association goes on and releases',
    soak: true,
    expected: { statuses: [0x0211], otherPdus: [], released: true },
    run: (context) =>
      dimseExchange(context, {
        expectResponses: 1,
        conversation: (peer) => {
          const command = Buffer.from(ECHO_COMMAND);
          // (0000,0100) Command Field follows (0000,0002): patch 0x0030 to 0x0FF0.
          const at = command.indexOf(Buffer.from([0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00]));
          command.writeUInt16LE(0x0ff0, at + 8);
          peer.write(commandPdu(1, command));
        },
      }),
  },
  {
    id: 'command-find-not-served',
    family: 9,
    title: 'a C-FIND-RQ (a service StoreScp does not offer) on the Verification context',
    answer: '0x0211 or 0x0212 failure (PS3.7 C.5), never a crash; the association goes on',
    soak: true,
    expected: { statuses: [0x0212], otherPdus: [], released: true },
    run: (context) =>
      dimseExchange(context, {
        expectResponses: 1,
        conversation: (peer) => {
          const command = Buffer.from(ECHO_COMMAND);
          const at = command.indexOf(Buffer.from([0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00]));
          command.writeUInt16LE(0x0020, at + 8);
          peer.write(commandPdu(1, command));
        },
      }),
  },
  // 4. Peer data becoming file names.
  storeClass({
    id: 'traversal-patient-id',
    family: 4,
    title: "a C-STORE whose Patient ID is '../../../../tmp/netdicom-escape' (layout patient)",
    answer: 'Success 0x0000, stored under a sanitised name inside the storage directory, nothing outside',
    instance: (rng) => goodInstance(rng, { patientId: '../../../../tmp/netdicom-escape' }),
    expectedStatus: 0x0000,
  }),
  storeClass({
    id: 'traversal-study-uid',
    family: 4,
    title: "a data set whose Study Instance UID is '../../../etc' and Series UID '/tmp/x'",
    answer: 'Success 0x0000, stored under INVALID-UID-<hash> directories inside the storage directory',
    instance: (rng) => goodInstance(rng, { studyInstanceUid: '../../../etc', seriesInstanceUid: '/tmp/netdicom-x' }),
    expectedStatus: 0x0000,
  }),
  {
    id: 'traversal-sop-instance-uid-in-command',
    family: 4,
    title: "a C-STORE-RQ whose Affected SOP Instance UID is '../../netdicom-escape' (command and data set)",
    answer:
      '0x0212 Mistyped argument (PS3.7 C.5.9): the UI value is not a UID; the data set is discarded, nothing written',
    soak: true,
    expected: { statuses: [0x0212], otherPdus: [], released: true },
    run: (context) =>
      dimseExchange(context, {
        expectResponses: 1,
        conversation: async (peer) => {
          const uid = '../../netdicom-escape';
          peer.write(commandPdu(3, storeRq(1, CT_IMAGE_STORAGE, uid)));
          for (const pdu of datasetPdus(3, buildInstance({ sopInstanceUid: uid }))) await peer.writeAll(pdu);
        },
      }),
  },
  storeClass({
    id: 'traversal-sop-instance-uid-in-data-set',
    family: 4,
    title: "a data set whose SOP Instance UID is '../../netdicom-escape' (the command's is a valid UID)",
    answer: '0xA900 Data Set does not match SOP Class / Instance (PS3.4 B.2.3), nothing written',
    instance: (rng) => ({
      sopInstanceUid: uniqueUid(rng),
      dataset: buildInstance({ sopInstanceUid: '../../netdicom-escape' }),
    }),
    expectedStatus: 0xa900,
  }),
  // 9. Hostile data sets.
  storeClass({
    id: 'deep-nesting-before-header',
    family: 9,
    title: 'sequences nested 10 000 deep before the routing attributes',
    answer: '0xC000 Cannot understand (the header reader refuses nesting deeper than 64), nothing stored',
    instance: (rng) => goodInstance(rng, { middle: nestedSequences(10_000) }),
    expectedStatus: 0xc000,
  }),
  storeClass({
    id: 'deep-nesting-after-header',
    family: 9,
    title: 'sequences nested 10 000 deep after the routing attributes (Content Sequence, 0040,A730)',
    answer: 'Success 0x0000: the header reader stops before them; stored byte for byte in constant memory',
    instance: (rng) => goodInstance(rng, { tail: nestedSequences(10_000, true, 0x0040a730) }),
    expectedStatus: 0x0000,
  }),
  storeClass({
    id: 'undefined-length-never-ends',
    family: 9,
    title: 'an undefined-length sequence that is never closed, before the routing attributes',
    answer: '0xC000 Cannot understand (data set ends inside the sequence), nothing stored',
    instance: (rng) => {
      const sopInstanceUid = uniqueUid(rng);
      const head = encodeExplicitLe([
        { tag: 0x00080016, vr: 'UI', value: CT_IMAGE_STORAGE },
        { tag: 0x00080018, vr: 'UI', value: sopInstanceUid },
      ]);
      return { sopInstanceUid, dataset: Buffer.concat([head, nestedSequences(3, false)]) };
    },
    expectedStatus: 0xc000,
  }),
  storeClass({
    id: 'deflate-bomb',
    family: 9,
    title: 'a Deflated Explicit VR LE data set of ~256 KB inflating to 256 MiB of zeros before its attributes',
    answer:
      '0x0000: the header reader stops inflating at 64 MiB (bounded work), the bytes are stored as received under UNKNOWN',
    contextId: 5,
    soak: false,
    instance: (rng) => {
      const sopInstanceUid = uniqueUid(rng);
      // The OB value announces 256 MiB; one byte less is sent, so the data set ends inside it.
      const bomb = Buffer.from(deflateBomb(256));
      return { sopInstanceUid, dataset: bomb.subarray(0, bomb.length - 2) };
    },
    expectedStatus: 0x0000,
  }),
  // 7. Resource exhaustion: pipelining past the window.
  {
    id: 'pipelining-beyond-window',
    family: 7,
    title: '64 C-ECHO-RQs sent at once on an association that negotiated a window of 1',
    answer: 'every request answered 0x0000 in order, the peer slowed by backpressure (no buffering of all 64)',
    soak: true,
    expected: { statuses: new Array<number>(64).fill(0), otherPdus: [], released: true },
    run: (context) =>
      dimseExchange(context, {
        associate: { contexts: VERIFICATION_CONTEXT },
        expectResponses: 64,
        conversation: (peer) => {
          const all = [];
          for (let id = 1; id <= 64; id++) all.push(commandPdu(1, echoRq(id)));
          peer.write(Buffer.concat(all));
        },
      }),
  },
  {
    id: 'pipelining-beyond-granted-window',
    family: 7,
    title: '64 C-STOREs at once where the SCP granted a window of 16',
    answer: 'every store answered 0x0000 (at most 16 performed at once, the rest wait unread)',
    soak: false,
    expected: { statuses: new Array<number>(64).fill(0), otherPdus: [], released: true },
    run: (context) =>
      dimseExchange(context, {
        associate: { contexts: STORE_CONTEXTS, window: { invoked: 0, performed: 1 } },
        expectResponses: 64,
        conversation: async (peer, rng) => {
          for (let id = 1; id <= 64; id++) {
            const { sopInstanceUid, dataset } = goodInstance(rng);
            peer.write(commandPdu(3, storeRq(id, CT_IMAGE_STORAGE, sopInstanceUid)));
            for (const pdu of datasetPdus(3, dataset)) await peer.writeAll(pdu);
          }
        },
      }),
  },
  // 2. Framing.
  {
    id: 'one-byte-at-a-time',
    family: 2,
    title: 'a whole association (A-ASSOCIATE-RQ, C-ECHO, release) written one byte per write',
    answer: 'A-ASSOCIATE-AC, C-ECHO-RSP 0x0000, A-RELEASE-RP: the reader does not care how bytes are split',
    soak: true,
    expected: { kinds: ['A-ASSOCIATE-AC', 'P-DATA-TF', 'A-RELEASE-RP'], status: 0 },
    run: async (context) => {
      const peer = await RawPeer.connect(context.port);
      const oneByOne = async (bytes: Uint8Array) => {
        for (let i = 0; i < bytes.length; i++) {
          peer.write(bytes.subarray(i, i + 1));
          if (i % 16 === 0) await new Promise((resolve) => setImmediate(resolve));
        }
      };
      try {
        await oneByOne(associateRq({ contexts: VERIFICATION_CONTEXT }));
        await peer.waitForPdu(0);
        await oneByOne(commandPdu(1, ECHO_COMMAND));
        await peer.waitForPdu(1);
        await oneByOne(A_RELEASE_RQ);
        await peer.waitForPdu(2);
        const pdus = splitPdus(peer.received).pdus.map((p) => decodePdu(p));
        const { commands } = commandsOf(pdus);
        return {
          kinds: pdus.map((p) => p.kind),
          status: commands[0] ? decodeCommandSet(commands[0]).status : undefined,
        };
      } finally {
        peer.destroy();
      }
    },
  },
  abortClass({
    id: 'p-data-before-associate-ac',
    family: 3,
    title: 'a C-ECHO-RQ sent in the same segment as the A-ASSOCIATE-RQ, before the A-ASSOCIATE-AC',
    answer: 'A-ABORT source 2 reason 2 unexpected-PDU (Sta3, Evt10, AA-8): P-DATA before the acceptor answered',
    send: () => [Buffer.concat([associateRq({ contexts: VERIFICATION_CONTEXT }), commandPdu(1, ECHO_COMMAND)])],
    expectedAnswer: ABORT_UNEXPECTED_PDU,
  }),
  // 7. Slowloris.
  {
    id: 'half-header-then-silence',
    family: 7,
    title: 'three bytes of a PDU header, then silence',
    answer: 'nothing sent; the connection closed by ARTIM (Sta2 timer, AA-2)',
    soak: false,
    expected: { answer: '', closedByScp: true },
    run: async (context) => {
      const peer = await RawPeer.connect(context.port);
      try {
        peer.write(new Uint8Array([0x01, 0x00, 0x00]));
        const closed = await peer.waitClosed(context.closeBoundMs);
        return { answer: hex(peer.received), closedByScp: closed.byScp };
      } finally {
        peer.destroy();
      }
    },
  },
];

/** The class with this id. */
export function hostileClass(id: string): HostileClass {
  const found = HOSTILE_CLASSES.find((c) => c.id === id);
  if (!found) throw new Error(`no hostile class ${id}`);
  return found;
}
