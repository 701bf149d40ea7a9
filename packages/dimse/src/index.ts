/**
 * `@netdicom/dimse`: DIMSE (PS3.7) over netdicom associations — command sets, statuses, streaming messages,
 * C-ECHO and C-STORE as SCU and SCP.
 */
export * from './commands.js';
export * from './errors.js';
export * from './status.js';
export * from './header-reader.js';
export * from './transfer-syntax.js';
export * from './dataset.js';
export {
  type ChannelOptions,
  DIMSE_MESSAGE_CHANNEL,
  type DimseAssociation,
  type DimseMessageTrace,
} from './channel.js';
export * from './client.js';
export type { DatasetFile, DatasetInput } from './dataset-source.js';
export { type HandlerResult, type StatusResult, sanitizeErrorComment } from './respond.js';
export * from './server.js';
export { hasLongLength, isKnownVr, LONG_LENGTH_VRS, SHORT_LENGTH_VRS } from './vr.js';
