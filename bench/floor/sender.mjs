/**
 * The Node.js floor, sending side: reads every file of a directory and sends it as [u32 length][bytes] to
 * ./receiver.mjs, up to 16 objects awaiting acknowledgement (netdicom's default window), then exits once all are
 * acknowledged. Files up to 8 MiB are read whole, larger ones streamed in 1 MiB reads. No DICOM: this is what any
 * Node sender must pay to move the same bytes.
 *
 * usage: node sender.mjs <host:port> <directory>
 */
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';

const [host, port] = process.argv[2].split(':');
const dir = process.argv[3];
const window = 16;

const entries = await readdir(dir, { withFileTypes: true, recursive: true });
const files = entries.filter((e) => e.isFile()).map((e) => join(e.parentPath ?? dir, e.name));

const socket = connect(Number(port), host);
socket.setNoDelay(true);
await new Promise((resolve, reject) => {
  socket.once('connect', resolve);
  socket.once('error', reject);
});
let acknowledged = 0;
let wake;
socket.on('data', (bytes) => {
  acknowledged += bytes.length;
  wake?.();
});
const progress = () =>
  new Promise((resolve) => {
    wake = () => {
      wake = undefined;
      resolve();
    };
  });

let sent = 0;
for (const file of files) {
  while (sent - acknowledged >= window) await progress();
  const { size } = await stat(file);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(size, 0);
  sent++;
  if (size <= 8 * 1024 * 1024) {
    const data = await readFile(file);
    socket.cork();
    socket.write(header);
    const flowing = socket.write(data);
    socket.uncork();
    if (!flowing) await new Promise((resolve) => socket.once('drain', resolve));
    continue;
  }
  socket.write(header);
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) {
    if (!socket.write(chunk)) await new Promise((resolve) => socket.once('drain', resolve));
  }
}
while (acknowledged < files.length) await progress();
socket.end();
