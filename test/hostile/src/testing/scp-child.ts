/**
 * A StoreScp in its own process, so that a crash shows as a dead process, memory is that of the SCP alone, and it
 * can be killed with SIGKILL mid-store. Started by `scp-process.ts` (bundled for plain `node`).
 *
 * argv[2]: `ChildOptions` as JSON. Listens on 127.0.0.1, port 0, and prints one JSON object per line on stdout:
 * `listening` first, then `received`, `failed`, `rejected`, `ended`, `error` events and answers to commands.
 * Commands on stdin, one per line: `close`; `memory` (prints `process.memoryUsage()`); `gc` (a full collection when
 * run with --expose-gc, then `memory`); `fault <op> <errno>` (every later file-system operation `op` fails with
 * that error code: `sync`, `writev`, `rename`, `createExclusive`, `syncDirectory`...); `fault none`.
 */
import { type FileStoreFileSystem, nodeFileSystem, StoreScp, type StoreScpOptions } from '@netdicom/store-scp';

/** What the parent sends: the StoreScp options that are plain data. */
export type ChildOptions = Omit<StoreScpOptions, 'onStore' | 'onEcho' | 'verifyUserIdentity' | 'fileSystem' | 'port'>;

const print = (value: object) => process.stdout.write(`${JSON.stringify(value)}\n`);

let fault: { op: string; code: string } | undefined;
let faultsInjected = 0;
const check = (op: string, path: string) => {
  if (fault === undefined || fault.op !== op) return;
  faultsInjected++;
  const error = new Error(`${fault.code}: injected failure, ${op} '${path}'`) as NodeJS.ErrnoException;
  error.code = fault.code;
  error.syscall = op;
  error.path = path;
  throw error;
};

/** An operation on a path, checked against the fault first. */
const direct =
  <A extends unknown[], R>(op: string, fn: (path: string, ...rest: A) => Promise<R>) =>
  async (path: string, ...rest: A): Promise<R> => {
    check(op, path);
    return fn(path, ...rest);
  };

/** node:fs/promises with a switchable fault on any one operation. */
const faultyFileSystem: FileStoreFileSystem = {
  async createExclusive(path) {
    check('createExclusive', path);
    const handle = await nodeFileSystem.createExclusive(path);
    return {
      async writev(buffers, position) {
        check('writev', path);
        return handle.writev(buffers, position);
      },
      async sync() {
        check('sync', path);
        return handle.sync();
      },
      close: () => handle.close(),
    };
  },
  mkdir: direct('mkdir', (p) => nodeFileSystem.mkdir(p)),
  lstat: direct('lstat', (p) => nodeFileSystem.lstat(p)),
  rename: direct('rename', (p, to: string) => nodeFileSystem.rename(p, to)),
  link: direct('link', (p, to: string) => nodeFileSystem.link(p, to)),
  unlink: direct('unlink', (p) => nodeFileSystem.unlink(p)),
  rmdir: direct('rmdir', (p) => nodeFileSystem.rmdir(p)),
  readdir: direct('readdir', (p) => nodeFileSystem.readdir(p)),
  syncDirectory: direct('syncDirectory', (p) => nodeFileSystem.syncDirectory(p)),
  realpath: direct('realpath', (p) => nodeFileSystem.realpath(p)),
};

const options = JSON.parse(process.argv[2] ?? '{}') as ChildOptions;
const scp = new StoreScp({
  aeTitle: 'HOSTILE',
  ...options,
  port: 0,
  host: '127.0.0.1',
  fileSystem: faultyFileSystem,
});
scp.received$.subscribe((i) =>
  print({ event: 'received', sopInstanceUid: i.sopInstanceUid, path: i.path, bytes: i.bytes }),
);
scp.failed$.subscribe((f) =>
  print({
    event: 'failed',
    sopInstanceUid: f.sopInstanceUid,
    status: f.status,
    code: (f.error as { code?: string }).code,
    message: f.error.message,
  }),
);
scp.rejected$.subscribe((r) =>
  print({ event: 'rejected', result: r.result, source: r.source, reason: r.reasonCode, calling: r.callingAeTitle }),
);
scp.associationEnded$.subscribe((e) => print({ event: 'ended', reason: e.reason, instances: e.instances.length }));
scp.errors$.subscribe((e) => print({ event: 'error', message: e.message, code: (e as { code?: string }).code }));

const memory = () => {
  const m = process.memoryUsage();
  print({ event: 'memory', rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers });
};

const address = await scp.listen();
print({ event: 'listening', port: address.port, pid: process.pid, startup: scp.startup ?? null });

let closing = false;
const close = async () => {
  if (closing) return;
  closing = true;
  await scp.close();
  print({ event: 'closed', faultsInjected });
  process.exit(0);
};
let pending = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (text: string) => {
  pending += text;
  for (let i = pending.indexOf('\n'); i >= 0; i = pending.indexOf('\n')) {
    const [command, ...args] = pending.slice(0, i).trim().split(/\s+/);
    pending = pending.slice(i + 1);
    if (command === 'close') void close();
    else if (command === 'memory') memory();
    else if (command === 'gc') {
      const gc = (globalThis as { gc?: () => void }).gc;
      if (gc) {
        gc();
        gc();
      }
      memory();
    } else if (command === 'fault') {
      fault = args[0] === 'none' || args[0] === undefined ? undefined : { op: args[0], code: args[1] ?? 'EIO' };
      print({ event: 'fault', fault: fault ?? null });
    }
  }
});
// The parent going away (its end of stdin closes) ends this process too.
process.stdin.on('end', () => void close());
process.on('SIGTERM', () => void close());
