// The floor for a signalling server built on `ws`: a relay that does nothing but what any such server
// must. It accepts the PeerJS client's URL (`?id=`) and sends OPEN, then forwards each text frame as it
// came (no JSON parse, no validation, no sender stamped) to the socket named by its `"dst":"…"` field,
// found by a byte search. Whatever a real server spends per signal above this is its own work.
// Two ways to write, chosen by the third argument:
//   (none)     `ws.send` per frame, as PeerJS does;
//   batched    as CL5's outbox (src/server/outbox.ts): the frames a socket gets in one turn of the event
//              loop framed by hand into ONE buffer and ONE write to the net.Socket under ws, on the next
//              tick. With several signals in flight per socket this is the floor CL5's design can reach.
// Prints "floor listening on port <port>".
import { WebSocketServer } from 'ws';

const [port = '0', host = '127.0.0.1', mode = 'send'] = process.argv.slice(2);
const sockets = new Map();
const DST = Buffer.from('"dst":"');

/** Frames queued per socket this turn, and the sockets with some. */
const queues = new Map();
function flush() {
  for (const [ws, frames] of queues) {
    let total = 0;
    for (const data of frames) total += data.length + (data.length < 126 ? 2 : 4);
    const out = Buffer.allocUnsafe(total);
    let at = 0;
    for (const data of frames) {
      out[at] = 0x81; // FIN, text
      if (data.length < 126) {
        out[at + 1] = data.length;
        at += 2;
      } else {
        out[at + 1] = 126;
        out.writeUInt16BE(data.length, at + 2);
        at += 4;
      }
      at += data.copy(out, at);
    }
    if (ws.readyState === ws.OPEN) ws._socket.write(out);
  }
  queues.clear();
}
const forward =
  mode === 'batched'
    ? (to, data) => {
        const frames = queues.get(to);
        if (frames) return void frames.push(data);
        if (queues.size === 0) process.nextTick(flush);
        queues.set(to, [data]);
      }
    : (to, data) => to.send(data, { binary: false });

const wss = new WebSocketServer({ port: Number(port), host, perMessageDeflate: false, clientTracking: false }, () =>
  console.log(`floor listening on port ${wss.address().port}`),
);
wss.on('connection', (ws, req) => {
  const id = new URL(req.url ?? '/', 'http://floor').searchParams.get('id');
  sockets.set(id, ws);
  ws.on('close', () => sockets.delete(id));
  ws.on('message', (data) => {
    const at = data.indexOf(DST);
    if (at < 0) return;
    const start = at + DST.length;
    const to = sockets.get(data.toString('latin1', start, data.indexOf(34, start)));
    if (to) forward(to, data);
  });
  ws.send('{"type":"OPEN"}');
});
// A clean exit on SIGTERM, so that a --cpu-prof is written.
process.on('SIGTERM', () => process.exit(0));
