// Preloaded into a process (NODE_OPTIONS="--import ./bench/lib/stall-probe.mjs"), notes every time its
// event loop was held up more than 15 ms, with the CPU time the process used meanwhile (user, system),
// and writes them to $CL5_STALL_DIR/stall-PID.txt (default the system's temp folder) when it exits. The
// CPU column tells a long turn (CPU ≈ the stall) from a process that was not scheduled on a busy machine
// (CPU ≪ the stall), which wall-clock latencies cannot. Used for docs/performance.md "Abuse".
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const TICK_MS = 5;
const start = performance.now();
let last = start;
let cpu = process.cpuUsage();
const stalls = [];
setInterval(() => {
  const now = performance.now();
  const used = process.cpuUsage();
  const late = now - last - TICK_MS;
  if (late > 15) {
    const ms = (micros) => (micros / 1000).toFixed(0);
    stalls.push(
      `${((now - start) / 1000).toFixed(3)} s: ${late.toFixed(0)} ms late; cpu user ${ms(used.user - cpu.user)} ms, system ${ms(used.system - cpu.system)} ms`,
    );
  }
  last = now;
  cpu = used;
}, TICK_MS).unref();

const dump = () =>
  writeFileSync(path.join(process.env.CL5_STALL_DIR ?? tmpdir(), `stall-${process.pid}.txt`), `${process.argv.slice(1).join(' ')}\n${stalls.join('\n')}\n`);
process.on('exit', dump);
for (const signal of ['SIGTERM', 'SIGINT'])
  process.once(signal, () => {
    dump();
    // Whatever else listens (the server's graceful stop) goes on; without another listener, exit as Node would.
    if (process.listenerCount(signal) === 0) process.exit(128 + (signal === 'SIGTERM' ? 15 : 2));
  });
