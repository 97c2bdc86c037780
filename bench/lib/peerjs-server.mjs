// The PeerJS server (npm `peer`) with the options its CLI (`peerjs --port P --host H`) starts it with,
// minus two things a benchmark must not measure: the CLI's console line for every connection and
// disconnection (a synchronous write to a pipe each), and its cap of 5,000 clients (ours is lifted too).
// Prints "Started PeerServer on <host>, port: <port>" once listening (port 0 picks a free one).
import { PeerServer } from 'peer';

const [port = '0', host = '127.0.0.1'] = process.argv.slice(2);
PeerServer({ port: Number(port), host, alive_timeout: 60_000, concurrent_limit: 1_000_000 }, (server) =>
  console.log(`Started PeerServer on ${host}, port: ${server.address().port}`),
);
// A clean exit on SIGTERM, so that a --cpu-prof is written.
process.on('SIGTERM', () => process.exit(0));
