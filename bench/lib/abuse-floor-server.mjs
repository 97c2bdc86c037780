// The floor for bench/abuse.mjs: the least any `ws` server must do for the rows whose attack is on the
// transport (fragments, fragments-held, reconnect-flood, http-flood), so that a row's bystander p99 can be
// read against what the same attack does to a server that does nothing else. Run as CL5_SERVER (it takes,
// and ignores, the CL5 server's flags): it prints CL5's listening line, and answers
//   - every HTTP request with 429 (the cheapest answer to a flooding address: no page is ever built);
//   - INIT with INIT_OK, KEEPALIVE with KEEPALIVE_ACK, CREATE_LOBBY / JOIN_LOBBY / LEAVE_LOBBY with their
//     ACK "ok" (the bystander's own requests; no lobby is kept), each frame parsed as JSON;
//   - frames above 64 KiB with ws's own close while they still arrive (maxPayload, as CL5);
//   - more than 50 frames a second on a connection (bursts of 200) with nothing, and the 100th such with a
//     close (1008), as CL5's rate limit does.
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';

const RATE = 50;
const BURST = 4 * RATE;
const ACKS = { INIT: 'INIT_OK', KEEPALIVE: 'KEEPALIVE_ACK', CREATE_LOBBY: 'CREATE_ACK', JOIN_LOBBY: 'JOIN_ACK', LEAVE_LOBBY: 'LEAVE_ACK' };

const http = createServer((_req, res) => res.writeHead(429, { 'retry-after': '1', 'content-type': 'text/plain' }).end('too many requests\n'));
const wss = new WebSocketServer({ server: http, maxPayload: 64 * 1024, perMessageDeflate: false, clientTracking: false });
let instances = 0;
wss.on('connection', (ws) => {
  let tokens = BURST;
  let filledAt = performance.now();
  let refused = 0;
  ws.on('error', () => {}); // ws closes the socket itself (1009 for a frame over maxPayload)
  ws.on('message', (data) => {
    const now = performance.now();
    tokens = Math.min(BURST, tokens + ((now - filledAt) / 1000) * RATE);
    filledAt = now;
    if (tokens < 1) {
      refused += 1;
      if (refused >= 100) ws.close(1008, 'too many packets: rate limit exceeded repeatedly');
      return;
    }
    tokens -= 1;
    let packet;
    try {
      packet = JSON.parse(data.toString());
    } catch {
      return;
    }
    const opcode = ACKS[packet.opcode];
    if (!opcode) return;
    let payload = 'ok';
    if (packet.opcode === 'INIT') {
      instances += 1;
      payload = { instance_id: String(instances), username: packet.payload?.username };
    }
    ws.send(JSON.stringify({ opcode, payload, listener: packet.listener }));
  });
});
http.listen(0, '127.0.0.1', () => console.log(`floor: ws://127.0.0.1:${http.address().port}/`));
process.on('SIGTERM', () => process.exit(0));
