/**
 * PS3.8 Table 9-10, the DICOM Upper Layer protocol state transition table, as data, and the pure transition function
 * that applies it.
 */
import { ACTIONS, type UlActionName, type UlContext } from './actions.js';
import type { Effect } from './effects.js';
import type { UlEvent, UlInput } from './events.js';
import type { UlState } from './states.js';

const ABORT_ON_UNEXPECTED = {
  Sta2: 'AA-1',
  Sta3: 'AA-8',
  Sta5: 'AA-8',
  Sta6: 'AA-8',
  Sta7: 'AA-8',
  Sta8: 'AA-8',
  Sta9: 'AA-8',
  Sta10: 'AA-8',
  Sta11: 'AA-8',
  Sta12: 'AA-8',
  Sta13: 'AA-6',
} as const satisfies Partial<Record<UlState, UlActionName>>;

/**
 * PS3.8 Table 9-10: for each event (row), the action to take in each state (column). A state missing from a row is
 * an empty cell of the table (see {@link transition} for what happens then).
 */
export const TRANSITION_TABLE: Readonly<Record<UlEvent, Readonly<Partial<Record<UlState, UlActionName>>>>> = {
  Evt1: { Sta1: 'AE-1' },
  Evt2: { Sta4: 'AE-2' },
  Evt3: { ...ABORT_ON_UNEXPECTED, Sta5: 'AE-3' },
  Evt4: { ...ABORT_ON_UNEXPECTED, Sta5: 'AE-4' },
  Evt5: { Sta1: 'AE-5' },
  Evt6: { ...ABORT_ON_UNEXPECTED, Sta2: 'AE-6', Sta13: 'AA-7' },
  Evt7: { Sta3: 'AE-7' },
  Evt8: { Sta3: 'AE-8' },
  Evt9: { Sta6: 'DT-1', Sta8: 'AR-7' },
  Evt10: { ...ABORT_ON_UNEXPECTED, Sta6: 'DT-2', Sta7: 'AR-6' },
  Evt11: { Sta6: 'AR-1' },
  Evt12: { ...ABORT_ON_UNEXPECTED, Sta6: 'AR-2', Sta7: 'AR-8' },
  Evt13: { ...ABORT_ON_UNEXPECTED, Sta7: 'AR-3', Sta10: 'AR-10', Sta11: 'AR-3' },
  Evt14: { Sta8: 'AR-4', Sta9: 'AR-9', Sta12: 'AR-4' },
  Evt15: {
    Sta3: 'AA-1',
    Sta4: 'AA-2',
    Sta5: 'AA-1',
    Sta6: 'AA-1',
    Sta7: 'AA-1',
    Sta8: 'AA-1',
    Sta9: 'AA-1',
    Sta10: 'AA-1',
    Sta11: 'AA-1',
    Sta12: 'AA-1',
  },
  Evt16: {
    Sta2: 'AA-2',
    Sta3: 'AA-3',
    Sta5: 'AA-3',
    Sta6: 'AA-3',
    Sta7: 'AA-3',
    Sta8: 'AA-3',
    Sta9: 'AA-3',
    Sta10: 'AA-3',
    Sta11: 'AA-3',
    Sta12: 'AA-3',
    Sta13: 'AA-2',
  },
  Evt17: {
    Sta2: 'AA-5',
    Sta3: 'AA-4',
    Sta4: 'AA-4',
    Sta5: 'AA-4',
    Sta6: 'AA-4',
    Sta7: 'AA-4',
    Sta8: 'AA-4',
    Sta9: 'AA-4',
    Sta10: 'AA-4',
    Sta11: 'AA-4',
    Sta12: 'AA-4',
    Sta13: 'AR-5',
  },
  Evt18: { Sta2: 'AA-2', Sta13: 'AR-5' },
  Evt19: { ...ABORT_ON_UNEXPECTED, Sta13: 'AA-7' },
};

/** The outcome of one event: the action taken (none for an empty cell), the next state and the effects to run. */
export interface Transition {
  readonly action: UlActionName | undefined;
  readonly from: UlState;
  readonly next: UlState;
  readonly effects: readonly Effect[];
}

/** The action PS3.8 Table 9-10 prescribes for an event in a state, or `undefined` for an empty cell. */
export function actionFor(event: UlEvent, state: UlState): UlActionName | undefined {
  return TRANSITION_TABLE[event][state];
}

/**
 * Applies PS3.8 Table 9-10 to one event: looks up the cell and runs its action (a pure function).
 *
 * Empty cells: the table leaves a cell empty where the event cannot legitimately happen in that state (no transport
 * connection yet in Sta1/Sta4 for PDU events; a local primitive the user may not issue in that state; a timer or
 * transport notice that arrives after the machine has moved on). Its default here is: no action, no state change,
 * and one `invalid-event` effect, so the shell refuses a local primitive with a typed error and drops a late
 * transport or timer notice. Every PDU that arrives on an open connection has a non-empty cell.
 */
export function transition(context: UlContext, state: UlState, input: UlInput): Transition {
  const action = actionFor(input.event, state);
  if (action === undefined) {
    return { action, from: state, next: state, effects: [{ type: 'invalid-event', event: input.event, state }] };
  }
  const result = ACTIONS[action](context, input);
  return { action, from: state, next: result.next, effects: result.effects };
}
