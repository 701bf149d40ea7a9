/**
 * `@netdicom/store-scp`: StoreScp, a DICOM Storage SCP (PS3.4 Annex B) that answers Success only for what is
 * durably on disk, and the durable file store it is built on.
 *
 * @packageDocumentation
 */
export * from './file-store/index.js';
export {
  checkExecTemplate,
  createExecRunner,
  EXEC_PLACEHOLDERS,
  type ExecPlaceholder,
  type ExecRunner,
  type ExecRunnerOptions,
  type ExecValues,
  expandExecTemplate,
} from './exec.js';
export { DEFAULT_HEADER_PEEK_LIMIT, type PeekedDataset, peekHeader, routingAttributes } from './header.js';
export * from './sop-classes.js';
export {
  type AssociationEnded,
  type AssociationInfo,
  type EchoContext,
  type FailedStore,
  type PeerInfo,
  type ReceivedInstance,
  type RejectedAssociation,
  type StoreContext,
  StoreScp,
  type StoreScpOptions,
  type StoreScpTlsOptions,
  type StoreStatusAnswer,
  type StudyCompleted,
} from './store-scp.js';
