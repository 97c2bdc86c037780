// A bystander in a process of its own: INIT, then KEEPALIVE round trips, one every ~60 ms; prints them
// (ms) as one JSON line and exits. For timing a server from outside the test process, which also runs
// players' WebRTC (closing a wrtc peer connection can hold its thread for a moment).
// Usage: node keepalive-probe.mjs WS_URL GAME COUNT
import WebSocket from 'ws';

const [url, game, count] = process.argv.slice(2);
const ws = new WebSocket(`${url}?ugi=${game}`);
const rtts = [];
let sent = 0;
const ping = () => {
  sent = performance.now();
  ws.send(JSON.stringify({ opcode: 'KEEPALIVE' }));
};
ws.on('open', () => ws.send(JSON.stringify({ opcode: 'INIT', payload: { username: `probe${process.pid}` } })));
ws.on('message', (data) => {
  const { opcode } = JSON.parse(String(data));
  if (opcode === 'INIT_OK') return ping();
  if (opcode !== 'KEEPALIVE_ACK') return;
  rtts.push(performance.now() - sent);
  if (rtts.length >= Number(count)) {
    console.log(JSON.stringify({ rtts }));
    ws.close();
    return;
  }
  setTimeout(ping, 60);
});
ws.on('error', (error) => {
  console.error(String(error));
  process.exit(1);
});
setTimeout(() => {
  console.error(`keepalive-probe: ${rtts.length} of ${count} round trips in 30 s`);
  process.exit(1);
}, 30_000).unref();
