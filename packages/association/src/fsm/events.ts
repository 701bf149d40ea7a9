/**
 * Events of the DICOM Upper Layer protocol machine, PS3.8 section 9.2.3 (rows of Table 9-10), and the inputs that
 * carry them into the pure transition function.
 */
import type {
  AAbort,
  AAssociateAc,
  AAssociateRj,
  AAssociateRq,
  AReleaseRp,
  AReleaseRq,
  AbortReasonCode,
  PDataTf,
} from '@netdicom/pdu';

/** Every event, in the standard's order. */
export const UL_EVENTS = [
  'Evt1',
  'Evt2',
  'Evt3',
  'Evt4',
  'Evt5',
  'Evt6',
  'Evt7',
  'Evt8',
  'Evt9',
  'Evt10',
  'Evt11',
  'Evt12',
  'Evt13',
  'Evt14',
  'Evt15',
  'Evt16',
  'Evt17',
  'Evt18',
  'Evt19',
] as const;

/** An event of the Upper Layer protocol machine, PS3.8 Table 9-10. */
export type UlEvent = (typeof UL_EVENTS)[number];

/** The standard's name of each event, PS3.8 Table 9-10. */
export const UL_EVENT_DESCRIPTIONS: Readonly<Record<UlEvent, string>> = {
  Evt1: 'A-ASSOCIATE Request (local user)',
  Evt2: 'Transport Conn. Confirm (local transport service)',
  Evt3: 'A-ASSOCIATE-AC PDU (received on transport connection)',
  Evt4: 'A-ASSOCIATE-RJ PDU (received on transport connection)',
  Evt5: 'Transport Connection Indication (local transport service)',
  Evt6: 'A-ASSOCIATE-RQ PDU (received on transport connection)',
  Evt7: 'A-ASSOCIATE response primitive (accept)',
  Evt8: 'A-ASSOCIATE response primitive (reject)',
  Evt9: 'P-DATA request primitive',
  Evt10: 'P-DATA-TF PDU',
  Evt11: 'A-RELEASE Request primitive',
  Evt12: 'A-RELEASE-RQ PDU (received on open transport connection)',
  Evt13: 'A-RELEASE-RP PDU (received on transport connection)',
  Evt14: 'A-RELEASE Response primitive',
  Evt15: 'A-ABORT Request primitive',
  Evt16: 'A-ABORT PDU (received on open transport connection)',
  Evt17: 'Transport connection closed indication (local transport service)',
  Evt18: 'ARTIM timer expired (Association reject/release timer)',
  Evt19: 'Unrecognized or invalid PDU received',
};

/**
 * An event together with the data it carries, the input of {@link transition}. PS3.8 Table 9-10 rows.
 *
 * `Evt6` carries `providerRejection` when the service-provider itself cannot accept the request (AE-6 "otherwise":
 * protocol version, local limits); `Evt19` carries the A-ABORT reason the decoder derived (PS3.8 9.3.8).
 */
export type UlInput =
  | { readonly event: 'Evt1'; readonly request: AAssociateRq }
  | { readonly event: 'Evt2' }
  | { readonly event: 'Evt3'; readonly pdu: AAssociateAc }
  | { readonly event: 'Evt4'; readonly pdu: AAssociateRj }
  | { readonly event: 'Evt5' }
  | { readonly event: 'Evt6'; readonly pdu: AAssociateRq; readonly providerRejection?: AAssociateRj }
  | { readonly event: 'Evt7'; readonly pdu: AAssociateAc }
  | { readonly event: 'Evt8'; readonly pdu: AAssociateRj }
  | { readonly event: 'Evt9'; readonly pdu: PDataTf }
  | { readonly event: 'Evt10'; readonly pdu: PDataTf }
  | { readonly event: 'Evt11' }
  | { readonly event: 'Evt12'; readonly pdu: AReleaseRq }
  | { readonly event: 'Evt13'; readonly pdu: AReleaseRp }
  | { readonly event: 'Evt14' }
  | { readonly event: 'Evt15' }
  | { readonly event: 'Evt16'; readonly pdu: AAbort }
  | { readonly event: 'Evt17' }
  | { readonly event: 'Evt18' }
  | { readonly event: 'Evt19'; readonly abortReason: AbortReasonCode; readonly detail?: string };
