import {
  type AAbort,
  type AAssociateAc,
  type AAssociateRj,
  type AAssociateRq,
  AbortReason,
  AbortSource,
  type PDataTf,
} from '@netdicom/pdu';
import { describe, expect, it } from 'vitest';
import type { UlContext } from './actions.js';
import type { Effect } from './effects.js';
import { UL_EVENTS, type UlEvent, type UlInput } from './events.js';
import { UL_STATES, type UlState } from './states.js';
import { transition } from './table.js';

/*
 * PS3.8 Table 9-10 transcribed from the standard, independently of src/fsm/table.ts. Rows are events, columns are
 * Sta1..Sta13; '.' is an empty cell. Each filled cell is "action>next state"; AR-8 and AE-6 have two possible next
 * states (role / provider decision), written as alternatives and resolved below.
 */
const STANDARD_TABLE = `
Evt1  AE-1>4  .       .       .       .       .       .       .       .       .       .       .       .
Evt2  .       .       .       AE-2>5  .       .       .       .       .       .       .       .       .
Evt3  .       AA-1>13 AA-8>13 .       AE-3>6  AA-8>13 AA-8>13 AA-8>13 AA-8>13 AA-8>13 AA-8>13 AA-8>13 AA-6>13
Evt4  .       AA-1>13 AA-8>13 .       AE-4>1  AA-8>13 AA-8>13 AA-8>13 AA-8>13 AA-8>13 AA-8>13 AA-8>13 AA-6>13
Evt5  AE-5>2  .       .       .       .       .       .       .       .       .       .       .       .
Evt6  .       AE-6>3|13 AA-8>13 . AA-8>13 AA-8>13 AA-8>13 AA-8>13 AA-8>13 AA-8>13 AA-8>13 AA-8>13 AA-7>13
Evt7  .       .       AE-7>6  .       .       .       .       .       .       .       .       .       .
Evt8  .       .       AE-8>13 .       .       .       .       .       .       .       .       .       .
Evt9  .       .       .       .       .       DT-1>6  .       AR-7>8  .       .       .       .       .
Evt10 .       AA-1>13 AA-8>13 .       AA-8>13 DT-2>6  AR-6>7  AA-8>13 AA-8>13 AA-8>13 AA-8>13 AA-8>13 AA-6>13
Evt11 .       .       .       .       .       AR-1>7  .       .       .       .       .       .       .
Evt12 .       AA-1>13 AA-8>13 .       AA-8>13 AR-2>8  AR-8>9|10 AA-8>13 AA-8>13 AA-8>13 AA-8>13 AA-8>13 AA-6>13
Evt13 .       AA-1>13 AA-8>13 .       AA-8>13 AA-8>13 AR-3>1  AA-8>13 AA-8>13 AR-10>12 AR-3>1 AA-8>13 AA-6>13
Evt14 .       .       .       .       .       .       .       AR-4>13 AR-9>11 .       .       AR-4>13 .
Evt15 .       .       AA-1>13 AA-2>1  AA-1>13 AA-1>13 AA-1>13 AA-1>13 AA-1>13 AA-1>13 AA-1>13 AA-1>13 .
Evt16 .       AA-2>1  AA-3>1  .       AA-3>1  AA-3>1  AA-3>1  AA-3>1  AA-3>1  AA-3>1  AA-3>1  AA-3>1  AA-2>1
Evt17 .       AA-5>1  AA-4>1  AA-4>1  AA-4>1  AA-4>1  AA-4>1  AA-4>1  AA-4>1  AA-4>1  AA-4>1  AA-4>1  AR-5>1
Evt18 .       AA-2>1  .       .       .       .       .       .       .       .       .       .       AR-5>1
Evt19 .       AA-1>13 AA-8>13 .       AA-8>13 AA-8>13 AA-8>13 AA-8>13 AA-8>13 AA-8>13 AA-8>13 AA-8>13 AA-7>13
`;

interface Cell {
  readonly action: string;
  readonly next: readonly UlState[];
}

function parseStandardTable(): Map<UlEvent, (Cell | undefined)[]> {
  const rows = new Map<UlEvent, (Cell | undefined)[]>();
  for (const line of STANDARD_TABLE.trim().split('\n')) {
    const [event, ...cells] = line.trim().split(/\s+/);
    if (cells.length !== 13) throw new Error(`row ${event} has ${cells.length} cells`);
    rows.set(
      event as UlEvent,
      cells.map((cell) => {
        if (cell === '.') return undefined;
        const [action, next] = cell.split('>') as [string, string];
        return { action, next: next.split('|').map((n) => `Sta${n}` as UlState) };
      }),
    );
  }
  return rows;
}

const rq: AAssociateRq = {
  kind: 'A-ASSOCIATE-RQ',
  protocolVersion: 1,
  calledAeTitle: 'ANY-SCP',
  callingAeTitle: 'ECHOSCU',
  applicationContextName: '1.2.840.10008.3.1.1.1',
  presentationContexts: [{ id: 1, abstractSyntax: '1.2.840.10008.1.1', transferSyntaxes: ['1.2.840.10008.1.2'] }],
  userInformation: { maximumLength: 16384 },
};
const ac: AAssociateAc = {
  kind: 'A-ASSOCIATE-AC',
  protocolVersion: 1,
  calledAeTitle: 'ANY-SCP',
  callingAeTitle: 'ECHOSCU',
  applicationContextName: '1.2.840.10008.3.1.1.1',
  presentationContexts: [{ id: 1, result: 0, transferSyntax: '1.2.840.10008.1.2' }],
  userInformation: { maximumLength: 16384 },
};
const rj: AAssociateRj = { kind: 'A-ASSOCIATE-RJ', result: 1, source: 1, reason: 7 };
const pdata: PDataTf = {
  kind: 'P-DATA-TF',
  pdvs: [{ presentationContextId: 1, isCommand: true, isLast: true, data: new Uint8Array([1, 2, 3]) }],
};
const userAbort: AAbort = { kind: 'A-ABORT', source: AbortSource.ServiceUser, reason: 0 };
const providerAbortPdu: AAbort = { kind: 'A-ABORT', source: AbortSource.ServiceProvider, reason: 6 };

function sampleInput(event: UlEvent): UlInput {
  switch (event) {
    case 'Evt1':
      return { event, request: rq };
    case 'Evt3':
    case 'Evt7':
      return { event, pdu: ac };
    case 'Evt4':
    case 'Evt8':
      return { event, pdu: rj };
    case 'Evt6':
      return { event, pdu: rq };
    case 'Evt9':
    case 'Evt10':
      return { event, pdu: pdata };
    case 'Evt12':
      return { event, pdu: { kind: 'A-RELEASE-RQ' } };
    case 'Evt13':
      return { event, pdu: { kind: 'A-RELEASE-RP' } };
    case 'Evt16':
      return { event, pdu: userAbort };
    case 'Evt19':
      return { event, abortReason: AbortReason.UnrecognizedPdu };
    default:
      return { event } as UlInput;
  }
}

const requestor: UlContext = { role: 'requestor', associateRq: rq };
const acceptor: UlContext = { role: 'acceptor', associateRq: rq };

/** Effects each action must produce for the sample input, written from PS3.8 Tables 9-6 to 9-9. */
function expectedEffects(action: string, event: UlEvent): Effect[] {
  const unexpectedAbort: AAbort = {
    kind: 'A-ABORT',
    source: 2,
    reason: event === 'Evt19' ? AbortReason.UnrecognizedPdu : AbortReason.UnexpectedPdu,
  };
  switch (action) {
    case 'AE-1':
      return [{ type: 'connect-transport' }];
    case 'AE-2':
      return [{ type: 'send-pdu', pdu: rq }];
    case 'AE-3':
      return [{ type: 'indicate', primitive: { kind: 'A-ASSOCIATE-confirmation-accept', response: ac } }];
    case 'AE-4':
      return [
        { type: 'indicate', primitive: { kind: 'A-ASSOCIATE-confirmation-reject', rejection: rj } },
        { type: 'close-transport' },
      ];
    case 'AE-5':
      return [{ type: 'accept-transport' }, { type: 'start-artim' }];
    case 'AE-6':
      return [{ type: 'stop-artim' }, { type: 'indicate', primitive: { kind: 'A-ASSOCIATE-indication', request: rq } }];
    case 'AE-7':
      return [{ type: 'send-pdu', pdu: ac }];
    case 'AE-8':
      return [{ type: 'send-pdu', pdu: rj }, { type: 'start-artim' }];
    case 'DT-1':
    case 'AR-7':
      return [{ type: 'send-pdu', pdu: pdata }];
    case 'DT-2':
    case 'AR-6':
      return [{ type: 'indicate', primitive: { kind: 'P-DATA-indication', pdu: pdata } }];
    case 'AR-1':
      return [{ type: 'send-pdu', pdu: { kind: 'A-RELEASE-RQ' } }];
    case 'AR-2':
      return [{ type: 'indicate', primitive: { kind: 'A-RELEASE-indication', collision: false } }];
    case 'AR-3':
      return [{ type: 'indicate', primitive: { kind: 'A-RELEASE-confirmation' } }, { type: 'close-transport' }];
    case 'AR-4':
      return [{ type: 'send-pdu', pdu: { kind: 'A-RELEASE-RP' } }, { type: 'start-artim' }];
    case 'AR-5':
    case 'AA-5':
      return [{ type: 'stop-artim' }];
    case 'AR-8':
      return [{ type: 'indicate', primitive: { kind: 'A-RELEASE-indication', collision: true } }];
    case 'AR-9':
      return [{ type: 'send-pdu', pdu: { kind: 'A-RELEASE-RP' } }];
    case 'AR-10':
      return [{ type: 'indicate', primitive: { kind: 'A-RELEASE-confirmation' } }];
    case 'AA-1':
      return [{ type: 'send-pdu', pdu: { kind: 'A-ABORT', source: 0, reason: 0 } }, { type: 'start-artim' }];
    case 'AA-2':
      return [{ type: 'stop-artim' }, { type: 'close-transport' }];
    case 'AA-3':
      return [
        { type: 'indicate', primitive: { kind: 'A-ABORT-indication', source: 0, reason: 0 } },
        { type: 'close-transport' },
      ];
    case 'AA-4':
      return [{ type: 'indicate', primitive: { kind: 'A-P-ABORT-indication', reason: 0, origin: 'transport-closed' } }];
    case 'AA-6':
      return [{ type: 'ignore-pdu', event }];
    case 'AA-7':
      return [{ type: 'send-pdu', pdu: unexpectedAbort }];
    case 'AA-8':
      return [
        { type: 'send-pdu', pdu: unexpectedAbort },
        {
          type: 'indicate',
          primitive: { kind: 'A-P-ABORT-indication', reason: unexpectedAbort.reason, origin: 'protocol-error' },
        },
        { type: 'start-artim' },
      ];
    default:
      throw new Error(`no expectation for ${action}`);
  }
}

const standard = parseStandardTable();
const cells = UL_EVENTS.flatMap((event) =>
  UL_STATES.map((state, column) => ({ event, state, cell: standard.get(event)?.[column] })),
);

describe('PS3.8 Table 9-10, cell by cell', () => {
  it('transcribes all 19 x 13 cells', () => {
    expect(standard.size).toBe(19);
    expect(cells).toHaveLength(247);
  });

  it.each(cells)('$event in $state', ({ event, state, cell }) => {
    for (const context of [requestor, acceptor]) {
      const result = transition(context, state, sampleInput(event));
      expect(result.from).toBe(state);
      if (cell === undefined) {
        // Empty cell: no action, the state is kept, the shell is told the event was invalid here.
        expect(result.action).toBeUndefined();
        expect(result.next).toBe(state);
        expect(result.effects).toEqual([{ type: 'invalid-event', event, state }]);
        continue;
      }
      expect(result.action).toBe(cell.action);
      let next = cell.next[0];
      if (cell.action === 'AR-8') next = context.role === 'requestor' ? 'Sta9' : 'Sta10';
      expect(result.next).toBe(next);
      expect(result.effects).toEqual(expectedEffects(cell.action, event));
    }
  });
});

describe('conditional actions', () => {
  it('AE-6 rejects when the service-provider cannot accept: sends the A-ASSOCIATE-RJ, restarts ARTIM, Sta13', () => {
    const rejection: AAssociateRj = { kind: 'A-ASSOCIATE-RJ', result: 2, source: 3, reason: 2 };
    const result = transition(acceptor, 'Sta2', { event: 'Evt6', pdu: rq, providerRejection: rejection });
    expect(result.action).toBe('AE-6');
    expect(result.next).toBe('Sta13');
    expect(result.effects).toEqual([
      { type: 'stop-artim' },
      { type: 'send-pdu', pdu: rejection },
      { type: 'start-artim' },
    ]);
  });

  it('AA-3 issues an A-P-ABORT indication when the peer service-provider aborted', () => {
    const result = transition(requestor, 'Sta6', { event: 'Evt16', pdu: providerAbortPdu });
    expect(result.action).toBe('AA-3');
    expect(result.effects).toEqual([
      { type: 'indicate', primitive: { kind: 'A-P-ABORT-indication', reason: 6, origin: 'peer-provider' } },
      { type: 'close-transport' },
    ]);
  });

  it('AA-8 on an invalid PDU sends the reason the decoder found', () => {
    const result = transition(acceptor, 'Sta6', {
      event: 'Evt19',
      abortReason: AbortReason.InvalidPduParameterValue,
    });
    expect(result.effects[0]).toEqual({
      type: 'send-pdu',
      pdu: { kind: 'A-ABORT', source: 2, reason: AbortReason.InvalidPduParameterValue },
    });
  });

  it('an action given the wrong PDU is a programming error, not a silent success', () => {
    expect(() => transition(acceptor, 'Sta3', { event: 'Evt7', pdu: rj as unknown as AAssociateAc })).toThrow(
      TypeError,
    );
    expect(() => transition({ role: 'requestor' }, 'Sta4', { event: 'Evt2' })).toThrow(/AE-2/);
  });
});

describe('release collision walks (PS3.8 9.2.3)', () => {
  function walk(context: UlContext, start: UlState, inputs: UlInput[]): UlState[] {
    const states: UlState[] = [start];
    let state = start;
    for (const input of inputs) {
      state = transition(context, state, input).next;
      states.push(state);
    }
    return states;
  }

  it('requestor side: Sta6 -> Sta7 -> Sta9 -> Sta11 -> Sta1', () => {
    expect(
      walk(requestor, 'Sta6', [
        { event: 'Evt11' },
        { event: 'Evt12', pdu: { kind: 'A-RELEASE-RQ' } },
        { event: 'Evt14' },
        { event: 'Evt13', pdu: { kind: 'A-RELEASE-RP' } },
      ]),
    ).toEqual(['Sta6', 'Sta7', 'Sta9', 'Sta11', 'Sta1']);
  });

  it('acceptor side: Sta6 -> Sta7 -> Sta10 -> Sta12 -> Sta13 -> Sta1', () => {
    expect(
      walk(acceptor, 'Sta6', [
        { event: 'Evt11' },
        { event: 'Evt12', pdu: { kind: 'A-RELEASE-RQ' } },
        { event: 'Evt13', pdu: { kind: 'A-RELEASE-RP' } },
        { event: 'Evt14' },
        { event: 'Evt17' },
      ]),
    ).toEqual(['Sta6', 'Sta7', 'Sta10', 'Sta12', 'Sta13', 'Sta1']);
  });
});
