/**
 * @netdicom/store-scu: send DICOM files, folders, buffers and streams to a Storage SCP (PS3.4 Annex B), streaming,
 * concurrent, with planning, transcoding and retries. Batch API: {@link StoreScu}; session API: {@link StoreScuSession}.
 *
 * @packageDocumentation
 */
export {
  DEFAULT_ASYNCHRONOUS_OPERATIONS_WINDOW,
  type FileErrorEvent,
  type FileSendingEvent,
  type FileSentEvent,
  type RetryOptions,
  type SendOptions,
  type SendResult,
  type StoreCallback,
  StoreScu,
  type StoreScuOptions,
  type StorePriority,
  type StoreProgress,
  type StopState,
  type StopSummary,
  type TransferCompletedEvent,
  type TransferStartedEvent,
} from './store-scu.js';
export {
  DEFAULT_STORAGE_SOP_CLASSES,
  type DcmjsDataset,
  type StoreInput,
  type StoreResult,
  StoreScuSession,
  type StoreScuSessionOptions,
  VERIFICATION_SOP_CLASS,
} from './session.js';
export {
  AssociationLostError,
  AssociationRejectedError,
  CancelledError,
  type ConnectFailure,
  ConnectError,
  DatasetParseError,
  InvalidOptionError,
  InvalidStateError,
  NoAcceptablePresentationContextError,
  ResponseTimeoutError,
  StoreFileError,
  type StoreFileErrorReason,
  StoreScuError,
  TranscodeError,
} from './errors.js';
export type { StoreScuTimeouts } from './connection.js';
export { describeStoreStatus, isTransientStatus, type StoreStatus } from './store-status.js';
export {
  describeTransferSyntax,
  findTransferSyntax,
  isUncompressed,
  listTransferSyntaxes,
  resolveTransferSyntaxUid,
  TransferSyntax,
  type TransferSyntaxInfo,
  transferSyntaxName,
  UNCOMPRESSED_TRANSFER_SYNTAXES,
} from './transfer-syntax.js';
export {
  type DecompressionPolicy,
  type TranscodeOptions,
  transcodeDataset,
  transcodeImpossibility,
} from './transcode.js';
export { decodableTransferSyntaxes } from './codecs/index.js';
export {
  type AssociationPlan,
  type ContextPlanOptions,
  type FilePlan,
  type FileSource,
  inspectFile,
  MAX_PRESENTATION_CONTEXTS,
  type PlannedFile,
  planAssociations,
  planFiles,
  type ProposedContext,
  type QueuedFile,
} from './plan.js';
export { type DicomSniff, sniffDicom } from './part10.js';
export { sniffFile, type WalkedFile, type WalkOptions, walkDirectory } from './scan.js';
