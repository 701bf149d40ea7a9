/**
 * The Node.js floor, receiving side: the least work any Node receiver must do to take in objects over TCP and keep
 * them the way netdicom does, with no DICOM at all. Frames are [u32 big-endian length][bytes]; each object is
 * written as it arrives into a new temporary file, fsynced (unless --no-fsync), closed, renamed into place, and
 * only then acknowledged with one byte. `pnpm bench` runs it against ./sender.mjs to show what this machine and
 * runtime allow, next to DCMTK and netdicom.
 *
 * usage: node receiver.mjs <port> <directory> [--no-fsync]
 */
import { close, fsync, open, rename, writev } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

const port = Number(process.argv[2]);
const dir = process.argv[3];
const durable = !process.argv.includes('--no-fsync');
let objects = 0;
const flushBytes = 1024 * 1024;

const server = createServer((socket) => {
  socket.setNoDelay(true);
  const header = Buffer.alloc(4);
  let headerBytes = 0;
  /** Bytes of the current object still to come; -1 between objects. */
  let left = -1;
  let current;

  const startObject = (length) => {
    const name = join(dir, `${objects++}.bin`);
    const object = { name, position: 0, writes: 0, ended: false, fd: -1, queue: [], queued: 0 };
    current = object;
    left = length;
    open(`${name}.part`, 'wx', (error, fd) => {
      if (error) throw error;
      object.fd = fd;
      flush(object);
    });
  };

  /** Writes what is queued for the object (one writev), once its file is open. */
  const flush = (object) => {
    if (object.fd < 0 || object.queue.length === 0) {
      maybeCommit(object);
      return;
    }
    const buffers = object.queue;
    const at = object.position;
    object.position += object.queued;
    object.queue = [];
    object.queued = 0;
    object.writes++;
    writev(object.fd, buffers, at, (error) => {
      if (error) throw error;
      object.writes--;
      maybeCommit(object);
    });
  };

  const keep = (object, piece) => {
    object.queue.push(piece);
    object.queued += piece.length;
    if (object.queued >= flushBytes) flush(object);
  };

  const maybeCommit = (object) => {
    if (!object.ended || object.fd < 0 || object.writes > 0 || object.queue.length > 0) return;
    object.ended = false;
    const finish = () =>
      close(object.fd, (error) => {
        if (error) throw error;
        rename(`${object.name}.part`, object.name, (renameError) => {
          if (renameError) throw renameError;
          socket.write(Buffer.of(1));
        });
      });
    if (durable) {
      fsync(object.fd, (error) => {
        if (error) throw error;
        finish();
      });
    } else finish();
  };

  socket.on('data', (chunk) => {
    let at = 0;
    while (at < chunk.length) {
      if (left < 0) {
        const take = Math.min(4 - headerBytes, chunk.length - at);
        chunk.copy(header, headerBytes, at, at + take);
        headerBytes += take;
        at += take;
        if (headerBytes === 4) {
          headerBytes = 0;
          startObject(header.readUInt32BE(0));
        }
        continue;
      }
      const take = Math.min(left, chunk.length - at);
      keep(current, chunk.subarray(at, at + take));
      left -= take;
      at += take;
      if (left === 0) {
        left = -1;
        current.ended = true;
        flush(current);
      }
    }
  });
  socket.on('error', () => socket.destroy());
});

server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
