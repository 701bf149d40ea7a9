/**
 * The actions of the Upper Layer protocol machine, PS3.8 section 9.2.2 (Tables 9-6 to 9-9), as pure functions
 * `(context, input) => { next, effects }`.
 */
import {
  type AAbort,
  type AAssociateRq,
  AbortReason,
  type AbortReasonCode,
  AbortSource,
  type Pdu,
} from '@netdicom/pdu';
import type { Effect } from './effects.js';
import type { UlInput } from './events.js';
import type { UlState } from './states.js';

/** The names of all actions, as PS3.8 9.2.2 spells them. */
export const UL_ACTIONS = [
  'AE-1',
  'AE-2',
  'AE-3',
  'AE-4',
  'AE-5',
  'AE-6',
  'AE-7',
  'AE-8',
  'DT-1',
  'DT-2',
  'AR-1',
  'AR-2',
  'AR-3',
  'AR-4',
  'AR-5',
  'AR-6',
  'AR-7',
  'AR-8',
  'AR-9',
  'AR-10',
  'AA-1',
  'AA-2',
  'AA-3',
  'AA-4',
  'AA-5',
  'AA-6',
  'AA-7',
  'AA-8',
] as const;

/** An action name of PS3.8 9.2.2. */
export type UlActionName = (typeof UL_ACTIONS)[number];

/**
 * What the pure machine knows about its association: which side it is on (AR-8 depends on it) and, for a
 * requestor, the A-ASSOCIATE-RQ to send once the transport is up (AE-2).
 */
export interface UlContext {
  readonly role: 'requestor' | 'acceptor';
  readonly associateRq?: AAssociateRq;
}

/** The result of an action: the next state and the effects to run, in order. */
export interface ActionResult {
  readonly next: UlState;
  readonly effects: readonly Effect[];
}

/** An action of PS3.8 9.2.2. */
export type UlAction = (context: UlContext, input: UlInput) => ActionResult;

const RELEASE_RQ = { kind: 'A-RELEASE-RQ' } as const;
const RELEASE_RP = { kind: 'A-RELEASE-RP' } as const;

/**
 * The A-ABORT a service-provider sends for a PDU it cannot accept (PS3.8 9.3.8): the decoder's reason for Evt19,
 * "unexpected-PDU" for a well-formed PDU received in the wrong state.
 */
function providerAbort(input: UlInput): AAbort {
  const reason: AbortReasonCode = input.event === 'Evt19' ? input.abortReason : AbortReason.UnexpectedPdu;
  return { kind: 'A-ABORT', source: AbortSource.ServiceProvider, reason };
}

function pduOf(input: UlInput): Pdu | undefined {
  return 'pdu' in input ? input.pdu : undefined;
}

function requirePdu<K extends Pdu['kind']>(input: UlInput, kind: K, action: UlActionName): Extract<Pdu, { kind: K }> {
  const pdu = pduOf(input);
  if (pdu === undefined || pdu.kind !== kind) {
    throw new TypeError(`${action} needs an input carrying a ${kind} PDU, got ${input.event}`);
  }
  return pdu as Extract<Pdu, { kind: K }>;
}

/** All actions of PS3.8 Tables 9-6 to 9-9, keyed by name. */
export const ACTIONS: Readonly<Record<UlActionName, UlAction>> = {
  // Table 9-6: association establishment.
  'AE-1': () => ({ next: 'Sta4', effects: [{ type: 'connect-transport' }] }),
  'AE-2': (context) => {
    if (context.associateRq === undefined) throw new TypeError('AE-2 needs the A-ASSOCIATE-RQ in the context');
    return { next: 'Sta5', effects: [{ type: 'send-pdu', pdu: context.associateRq }] };
  },
  'AE-3': (_context, input) => ({
    next: 'Sta6',
    effects: [
      {
        type: 'indicate',
        primitive: { kind: 'A-ASSOCIATE-confirmation-accept', response: requirePdu(input, 'A-ASSOCIATE-AC', 'AE-3') },
      },
    ],
  }),
  'AE-4': (_context, input) => ({
    next: 'Sta1',
    effects: [
      {
        type: 'indicate',
        primitive: { kind: 'A-ASSOCIATE-confirmation-reject', rejection: requirePdu(input, 'A-ASSOCIATE-RJ', 'AE-4') },
      },
      { type: 'close-transport' },
    ],
  }),
  'AE-5': () => ({ next: 'Sta2', effects: [{ type: 'accept-transport' }, { type: 'start-artim' }] }),
  'AE-6': (_context, input) => {
    const request = requirePdu(input, 'A-ASSOCIATE-RQ', 'AE-6');
    const rejection = input.event === 'Evt6' ? input.providerRejection : undefined;
    if (rejection === undefined) {
      return {
        next: 'Sta3',
        effects: [{ type: 'stop-artim' }, { type: 'indicate', primitive: { kind: 'A-ASSOCIATE-indication', request } }],
      };
    }
    return {
      next: 'Sta13',
      effects: [{ type: 'stop-artim' }, { type: 'send-pdu', pdu: rejection }, { type: 'start-artim' }],
    };
  },
  'AE-7': (_context, input) => ({
    next: 'Sta6',
    effects: [{ type: 'send-pdu', pdu: requirePdu(input, 'A-ASSOCIATE-AC', 'AE-7') }],
  }),
  'AE-8': (_context, input) => ({
    next: 'Sta13',
    effects: [{ type: 'send-pdu', pdu: requirePdu(input, 'A-ASSOCIATE-RJ', 'AE-8') }, { type: 'start-artim' }],
  }),

  // Table 9-7: data transfer.
  'DT-1': (_context, input) => ({
    next: 'Sta6',
    effects: [{ type: 'send-pdu', pdu: requirePdu(input, 'P-DATA-TF', 'DT-1') }],
  }),
  'DT-2': (_context, input) => ({
    next: 'Sta6',
    effects: [
      { type: 'indicate', primitive: { kind: 'P-DATA-indication', pdu: requirePdu(input, 'P-DATA-TF', 'DT-2') } },
    ],
  }),

  // Table 9-8: association release.
  'AR-1': () => ({ next: 'Sta7', effects: [{ type: 'send-pdu', pdu: RELEASE_RQ }] }),
  'AR-2': () => ({
    next: 'Sta8',
    effects: [{ type: 'indicate', primitive: { kind: 'A-RELEASE-indication', collision: false } }],
  }),
  'AR-3': () => ({
    next: 'Sta1',
    effects: [{ type: 'indicate', primitive: { kind: 'A-RELEASE-confirmation' } }, { type: 'close-transport' }],
  }),
  'AR-4': () => ({ next: 'Sta13', effects: [{ type: 'send-pdu', pdu: RELEASE_RP }, { type: 'start-artim' }] }),
  'AR-5': () => ({ next: 'Sta1', effects: [{ type: 'stop-artim' }] }),
  'AR-6': (_context, input) => ({
    next: 'Sta7',
    effects: [
      { type: 'indicate', primitive: { kind: 'P-DATA-indication', pdu: requirePdu(input, 'P-DATA-TF', 'AR-6') } },
    ],
  }),
  'AR-7': (_context, input) => ({
    next: 'Sta8',
    effects: [{ type: 'send-pdu', pdu: requirePdu(input, 'P-DATA-TF', 'AR-7') }],
  }),
  'AR-8': (context) => ({
    next: context.role === 'requestor' ? 'Sta9' : 'Sta10',
    effects: [{ type: 'indicate', primitive: { kind: 'A-RELEASE-indication', collision: true } }],
  }),
  'AR-9': () => ({ next: 'Sta11', effects: [{ type: 'send-pdu', pdu: RELEASE_RP }] }),
  'AR-10': () => ({
    next: 'Sta12',
    effects: [{ type: 'indicate', primitive: { kind: 'A-RELEASE-confirmation' } }],
  }),

  // Table 9-9: association abort.
  'AA-1': () => ({
    next: 'Sta13',
    effects: [
      { type: 'send-pdu', pdu: { kind: 'A-ABORT', source: AbortSource.ServiceUser, reason: AbortReason.NotSpecified } },
      { type: 'start-artim' },
    ],
  }),
  'AA-2': () => ({ next: 'Sta1', effects: [{ type: 'stop-artim' }, { type: 'close-transport' }] }),
  'AA-3': (_context, input) => {
    const abort = requirePdu(input, 'A-ABORT', 'AA-3');
    const primitive =
      abort.source === AbortSource.ServiceProvider
        ? ({ kind: 'A-P-ABORT-indication', reason: abort.reason, origin: 'peer-provider' } as const)
        : ({ kind: 'A-ABORT-indication', source: abort.source, reason: abort.reason } as const);
    return { next: 'Sta1', effects: [{ type: 'indicate', primitive }, { type: 'close-transport' }] };
  },
  'AA-4': () => ({
    next: 'Sta1',
    effects: [
      {
        type: 'indicate',
        primitive: { kind: 'A-P-ABORT-indication', reason: AbortReason.NotSpecified, origin: 'transport-closed' },
      },
    ],
  }),
  'AA-5': () => ({ next: 'Sta1', effects: [{ type: 'stop-artim' }] }),
  'AA-6': (_context, input) => ({ next: 'Sta13', effects: [{ type: 'ignore-pdu', event: input.event }] }),
  'AA-7': (_context, input) => ({ next: 'Sta13', effects: [{ type: 'send-pdu', pdu: providerAbort(input) }] }),
  'AA-8': (_context, input) => {
    const abort = providerAbort(input);
    return {
      next: 'Sta13',
      effects: [
        { type: 'send-pdu', pdu: abort },
        {
          type: 'indicate',
          primitive: { kind: 'A-P-ABORT-indication', reason: abort.reason, origin: 'protocol-error' },
        },
        { type: 'start-artim' },
      ],
    };
  },
};
