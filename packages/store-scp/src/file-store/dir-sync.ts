/**
 * Group commit of directory fsyncs. A rename is durable once its directory has been fsynced *after* the rename
 * (PS3.4 B.2.3 Success must only be answered for a durable instance; RELIABILITY.md class 5). When many stores land
 * in one directory, each need not pay its own fsync: a request joins the next fsync that starts after it was made,
 * so at most one fsync per directory is running and at most one is queued, and every rename made before the queued
 * one starts is covered by it.
 *
 * @packageDocumentation
 */

/** Shares directory fsyncs between concurrent callers. */
export interface DirectorySyncer {
  /** Resolves once an fsync of `dir` that started after this call has completed. */
  sync(dir: string): Promise<void>;
  /** Number of fsyncs actually issued (for tests and the bench). */
  readonly issued: number;
}

interface DirState {
  running: Promise<void> | undefined;
  queued: Promise<void> | undefined;
}

/**
 * Creates a {@link DirectorySyncer} over `syncDirectory` (one fsync of one directory). Errors reach every caller
 * whose request the failing fsync was serving.
 */
export function createDirectorySyncer(syncDirectory: (dir: string) => Promise<void>): DirectorySyncer {
  const states = new Map<string, DirState>();
  let issued = 0;

  const start = (dir: string, state: DirState): Promise<void> => {
    issued++;
    const p: Promise<void> = syncDirectory(dir).finally(() => {
      if (state.running === p) state.running = undefined;
      if (state.running === undefined && state.queued === undefined) states.delete(dir);
    });
    state.running = p;
    return p;
  };

  return {
    get issued() {
      return issued;
    },
    sync(dir) {
      let state = states.get(dir);
      if (state === undefined) {
        state = { running: undefined, queued: undefined };
        states.set(dir, state);
      }
      if (state.queued !== undefined) return state.queued;
      if (state.running === undefined) return start(dir, state);
      const s = state;
      const ignore = () => undefined;
      const queued = state.running.then(ignore, ignore).then(() => {
        s.queued = undefined;
        return start(dir, s);
      });
      s.queued = queued;
      return queued;
    },
  };
}
