/**
 * The durable file store of `@netdicom/store-scp`: Part-10 files (PS3.10 7.1) written with a
 * write-fsync-rename-dirsync protocol so that a C-STORE Success (PS3.4 B.2.3) is only answered for an instance that
 * survives a crash. See README.md in this folder.
 *
 * @packageDocumentation
 */
export {
  type DatasetSource,
  type DuplicatePolicy,
  type FileStore,
  type FileStoreOptions,
  type FileStoreStartup,
  type FileStoreWriteRequest,
  type FileStoreWriteResult,
  openFileStore,
  TEMP_DIR_NAME,
  TEMP_FILE_SUFFIX,
} from './file-store.js';
export { createDirectorySyncer, type DirectorySyncer } from './dir-sync.js';
export {
  type FileStoreFileSystem,
  type FileStoreHandle,
  type FileStoreStats,
  nodeFileSystem,
} from './fs-layer.js';
export {
  type CompiledLayout,
  type CompileLayoutOptions,
  compileLayout,
  type FileStoreLayout,
  type LayoutValues,
  NAMED_LAYOUTS,
  ROUTING_PLACEHOLDERS,
  type RoutingAttributes,
  type RoutingPlaceholder,
} from './layout.js';
export { checkMetaUid, encodePart10Header, type FileMetaInformation, PART10_PREFIX_LENGTH } from './part10.js';
export {
  DEFAULT_MAX_COMPONENT_BYTES,
  isValidUid,
  type SanitizeOptions,
  sanitizePathComponent,
  shortHash,
  stripDicomPadding,
  uidForPath,
} from './sanitize.js';
export * from '../errors.js';
