export { ACTIONS, type ActionResult, UL_ACTIONS, type UlAction, type UlActionName, type UlContext } from './actions.js';
export type { Effect, UlPrimitive } from './effects.js';
export { UL_EVENT_DESCRIPTIONS, UL_EVENTS, type UlEvent, type UlInput } from './events.js';
export { UL_STATE_DESCRIPTIONS, UL_STATES, type UlState } from './states.js';
export { actionFor, TRANSITION_TABLE, type Transition, transition } from './table.js';
