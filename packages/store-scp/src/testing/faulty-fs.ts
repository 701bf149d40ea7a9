/**
 * A file-system layer for the file store that records every operation and can fail any of them, to test each step
 * of the durable write protocol.
 */
import type { FileStoreFileSystem, FileStoreHandle } from '../file-store/fs-layer.js';

/** One recorded operation. */
export interface FsOperation {
  readonly op: 'createExclusive' | 'writev' | 'sync' | 'close' | FsDirectOp;
  readonly path: string;
}
type FsDirectOp = 'mkdir' | 'lstat' | 'rename' | 'link' | 'unlink' | 'rmdir' | 'readdir' | 'syncDirectory' | 'realpath';

/** Decides whether an operation fails: return an error code such as `'EIO'` to fail it. */
export type FaultRule = (operation: FsOperation) => string | undefined;

/** A system-like error with `code`, as Node's fs produces. */
export function systemError(code: string, syscall: string, path: string): NodeJS.ErrnoException {
  const error = new Error(`${code}: simulated failure, ${syscall} '${path}'`) as NodeJS.ErrnoException;
  error.code = code;
  error.syscall = syscall;
  error.path = path;
  return error;
}

/** Wraps `base`, recording operations into `log` and failing those for which `rule` returns an error code. */
export function createFaultyFileSystem(
  base: FileStoreFileSystem,
  rule: FaultRule,
  log: FsOperation[] = [],
): FileStoreFileSystem & { readonly log: FsOperation[] } {
  const check = (operation: FsOperation) => {
    log.push(operation);
    const code = rule(operation);
    if (code !== undefined) throw systemError(code, operation.op, operation.path);
  };
  const direct =
    <A extends unknown[], R>(op: FsDirectOp, fn: (path: string, ...rest: A) => Promise<R>) =>
    async (path: string, ...rest: A): Promise<R> => {
      check({ op, path });
      return fn(path, ...rest);
    };
  return {
    log,
    async createExclusive(path) {
      check({ op: 'createExclusive', path });
      const handle = await base.createExclusive(path);
      const wrapped: FileStoreHandle = {
        async writev(buffers, position) {
          check({ op: 'writev', path });
          return handle.writev(buffers, position);
        },
        async sync() {
          check({ op: 'sync', path });
          return handle.sync();
        },
        async close() {
          try {
            check({ op: 'close', path });
          } catch (error) {
            await handle.close().catch(() => undefined); // a failing close still releases the descriptor
            throw error;
          }
          return handle.close();
        },
      };
      return wrapped;
    },
    mkdir: direct('mkdir', (p) => base.mkdir(p)),
    lstat: direct('lstat', (p) => base.lstat(p)),
    rename: direct('rename', (p, to: string) => base.rename(p, to)),
    link: direct('link', (p, to: string) => base.link(p, to)),
    unlink: direct('unlink', (p) => base.unlink(p)),
    rmdir: direct('rmdir', (p) => base.rmdir(p)),
    readdir: direct('readdir', (p) => base.readdir(p)),
    syncDirectory: direct('syncDirectory', (p) => base.syncDirectory(p)),
    realpath: direct('realpath', (p) => base.realpath(p)),
  };
}
