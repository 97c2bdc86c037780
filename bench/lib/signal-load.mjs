// Load shapes shared by the signalling benchmarks (signaling.mjs, cluster.mjs), for any server whose
// clients are given by an adapter { pair(i) → [a, b] with { client, id }, signal(to, sentAt) → frame }:
// a saturating relay flood, a fixed-rate trickle for latency, and concurrent request cycles.
import { cpuTimes } from './processes.mjs';
import { summary } from './stats.mjs';

/** When a received signal was sent (performance.now() of the sender), read without parsing the frame. */
export function sentAtOf(text) {
  const at = text.indexOf('"sentAt":');
  return at < 0 ? undefined : parseFloat(text.slice(at + 9, at + 40));
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * CPU-seconds each process used while `during` ran, the wall seconds it took, and the share of a core
 * this process (the load generator) used meanwhile: near 1, the generator may be what limits the rate.
 */
export async function measured(pids, during) {
  const before = pids.map(cpuTimes);
  const generatorBefore = process.cpuUsage();
  const started = performance.now();
  await during();
  const elapsed = (performance.now() - started) / 1000;
  const generator = process.cpuUsage(generatorBefore);
  const after = pids.map(cpuTimes);
  return {
    elapsed,
    cpu: after.map((a, i) => a.total - before[i].total),
    /** The part of `cpu` spent in the kernel. */
    system: after.map((a, i) => a.system - before[i].system),
    generator: (generator.user + generator.system) / 1e6 / elapsed,
  };
}

/**
 * Every pair keeps `window` signals in flight each way (each one received is answered with the next)
 * for `seconds` after `warmupMs`. Signals relayed per wall second and per CPU-second of the processes
 * `pids` (the servers), each one's share of a core, and the latency of each signal.
 */
export async function relayFlood(adapter, pairs, { pids, seconds, window = 8, warmupMs = 1000 }) {
  const latencies = [];
  let received = 0;
  let measuring = false;
  let running = true;
  for (const [a, b] of pairs) {
    for (const [me, other] of [
      [a, b],
      [b, a],
    ]) {
      me.client.onText = (text) => {
        const sentAt = sentAtOf(text);
        if (sentAt === undefined) return;
        if (measuring) {
          received += 1;
          latencies.push(performance.now() - sentAt);
        }
        if (running) me.client.write(adapter.signal(other.id, performance.now()));
      };
    }
    for (let k = 0; k < window; k += 1) {
      a.client.write(adapter.signal(b.id, performance.now()));
      b.client.write(adapter.signal(a.id, performance.now()));
    }
  }
  await sleep(warmupMs);
  measuring = true;
  const { elapsed, cpu, generator } = await measured(pids, () => sleep(seconds * 1000));
  measuring = false;
  running = false;
  const serverCpu = cpu.reduce((sum, c) => sum + c, 0);
  return { perSecond: received / elapsed, perCpuSecond: received / serverCpu, cores: cpu.map((c) => c / elapsed), generator, ...summary(latencies) };
}

/**
 * Signals at a fixed offered `rate` per second (well below saturation), spread round-robin over the
 * pairs of every class and alternating direction, for `seconds` after `warmupMs`: the latency of each
 * class measured under the same load at the same time, e.g. { 'same node': pairs, 'cross node': pairs },
 * and the CPU-seconds each process of `pids` spent meanwhile, per signal delivered (its cost at that load,
 * free of the batching a saturated server gains).
 */
export async function fixedRate(adapter, classes, { rate, seconds, warmupMs = 1000, pids = [] }) {
  const names = Object.keys(classes);
  const latencies = Object.fromEntries(names.map((name) => [name, []]));
  // Interleaved: pair k of every class, then pair k+1 of every class ...
  const longest = Math.max(...names.map((name) => classes[name].length));
  const senders = [];
  for (let k = 0; k < longest; k += 1) for (const name of names) if (classes[name][k]) senders.push([name, classes[name][k]]);
  let measuring = false;
  for (const [name, [a, b]] of senders)
    for (const me of [a, b])
      me.client.onText = (text) => {
        const sentAt = sentAtOf(text);
        if (sentAt !== undefined && measuring) latencies[name].push(performance.now() - sentAt);
      };
  let sent = 0;
  const started = performance.now();
  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - started) / 1000) * rate);
    for (; sent < due; sent += 1) {
      const [, [a, b]] = senders[sent % senders.length];
      const [from, to] = Math.floor(sent / senders.length) % 2 === 0 ? [a, b] : [b, a];
      from.client.write(adapter.signal(to.id, performance.now()));
    }
  }, 1);
  await sleep(warmupMs);
  measuring = true;
  const { cpu, system, elapsed, generator } = await measured(pids, () => sleep(seconds * 1000));
  measuring = false;
  clearInterval(timer);
  await sleep(200); // the last ones land (not counted)
  const delivered = names.reduce((n, name) => n + latencies[name].length, 0);
  return {
    byClass: Object.fromEntries(names.map((name) => [name, summary(latencies[name])])),
    cpuPerSignal: cpu.map((c) => c / delivered),
    systemPerSignal: system.map((c) => c / delivered),
    perSecond: delivered / elapsed,
    cores: cpu.map((c) => c / elapsed),
    generator,
  };
}

/**
 * Runs `cycle(state, worker, n)` on `workers` concurrent workers until `seconds` are up: cycles per wall
 * second and per CPU-second of `pids`, and each cycle's duration.
 */
export async function cycles(setup, cycle, { workers, seconds, pids = [] }) {
  const states = await Promise.all(Array.from({ length: workers }, (_, w) => setup(w)));
  const durations = [];
  const { elapsed, cpu, generator } = await measured(pids, async () => {
    const deadline = performance.now() + seconds * 1000;
    await Promise.all(
      states.map(async (state, w) => {
        for (let n = 0; performance.now() < deadline; n += 1) {
          const started = performance.now();
          await cycle(state, w, n);
          durations.push(performance.now() - started);
        }
      }),
    );
  });
  const serverCpu = cpu.reduce((sum, c) => sum + c, 0);
  return {
    perSecond: durations.length / elapsed,
    perCpuSecond: durations.length / serverCpu,
    cores: cpu.map((c) => c / elapsed),
    generator,
    ...summary(durations),
  };
}
