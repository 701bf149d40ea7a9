/**
 * The one place this package touches the PDU codec of @netdicom/pdu (PS3.8 9.3): framing incoming bytes, encoding
 * outgoing PDUs as header + payload parts, and the decoder's error with its A-ABORT reason.
 */
export { createPduReader, encodePduParts, PduError } from '@netdicom/pdu';
