// The floor for a signalling server built on `ws`: a relay that does nothing but what any such server
// must. It accepts the PeerJS client's URL (`?id=`) and sends OPEN, then forwards each text frame as it
// came (`ws.send`, no JSON parse, no validation, no sender stamped) to the socket named by its `"dst":"…"`
// field, found by a byte search. Whatever a real server spends per signal above this is its own work.
// Prints "floor listening on port <port>".
import { WebSocketServer } from 'ws';

const [port = '0', host = '127.0.0.1'] = process.argv.slice(2);
const sockets = new Map();
const DST = Buffer.from('"dst":"');
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
    to?.send(data, { binary: false });
  });
  ws.send('{"type":"OPEN"}');
});
// A clean exit on SIGTERM, so that a --cpu-prof is written.
process.on('SIGTERM', () => process.exit(0));
