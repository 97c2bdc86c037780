// The share of this machine's CPU time its hypervisor gave to other guests ("steal" in /proc/stat) over a
// span. On a shared host it comes and goes with the minute: at 15–40 % a millisecond p99 means little, so
// the benchmarks print it beside each run. NaN where /proc/stat has no steal column (not Linux).
import { readFileSync } from 'node:fs';

function cpuLine() {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal [guest guest_nice: already counted in user and nice]
    return { steal: fields[7] ?? NaN, total: fields.slice(0, 8).reduce((a, b) => a + b, 0) };
  } catch {
    return { steal: NaN, total: NaN };
  }
}

/** Starts a span; the function it returns gives the span's steal as a share of all CPU time (0–1). */
export function stealMeter() {
  const before = cpuLine();
  return () => {
    const after = cpuLine();
    const total = after.total - before.total;
    return total > 0 ? (after.steal - before.steal) / total : NaN;
  };
}
