/**
 * Tracing through `node:diagnostics_channel`, so users can observe PDUs and state transitions (PS3.8 9.2, 9.3)
 * without this package choosing a logger.
 */
import { channel } from 'node:diagnostics_channel';
import type { Pdu } from '@netdicom/pdu';
import type { UlActionName, UlEvent, UlState } from './fsm/index.js';

/** Message of `netdicom:pdu:sent` and `netdicom:pdu:received`. */
export interface PduMessage {
  /** The association (an `Association` once accepted; the same object before). */
  readonly association: object;
  readonly pdu: Pdu;
}

/** Message of `netdicom:association:state`: one transition of PS3.8 Table 9-10. */
export interface StateMessage {
  readonly association: object;
  readonly from: UlState;
  readonly to: UlState;
  readonly event: UlEvent;
  readonly action: UlActionName | undefined;
}

/** Published for each PDU as it is handed to the transport (just before the write, so causal order holds). */
export const pduSentChannel = channel('netdicom:pdu:sent');
/**
 * Published for each complete PDU read from the transport, before the state machine handles it. (An association
 * created with `splitPData` while this channel has no subscriber hands a P-DATA-TF spanning socket reads on in parts,
 * each published as a P-DATA-TF of its own; subscribe before connecting or listening to see every PDU whole.)
 */
export const pduReceivedChannel = channel('netdicom:pdu:received');
/** Published for each event the state machine handles (including empty cells, where `to === from`). */
export const stateChannel = channel('netdicom:association:state');
