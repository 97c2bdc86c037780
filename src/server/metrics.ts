// GET /metrics (Prometheus text format, prom-client): one Registry per server, so two servers in one
// process (tests, benchmarks) never share a metric, with every series labelled `node` (this server's id).
// Events are tallied as plain numbers where they happen (the signal relay path is the hottest in the
// server: it pays one `+= 1`, no label hashing) and handed to prom-client's counters at scrape time;
// levels (players, lobbies, relay links) are read at scrape time from what the server already keeps.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';

/** Why a packet was refused at the edge (dispatch.ts). */
export const REJECT_REASONS = ['rate_limited', 'invalid', 'busy', 'violation'] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

/** Event tallies, bumped where the events happen; only ever increased. */
export interface Tallies {
  /** MAKE_OFFER / MAKE_ANSWER / ICE passed on to a lobby member or the lobby's relay peer. */
  signals: number;
  rejected: Record<RejectReason, number>;
  resumes: number;
  resumesRefused: number;
  /** New connections refused by admission.ts (caps, rate per address). */
  connectionsRefused: number;
}

/** What the server keeps that the gauges read at scrape time. */
export interface MetricSources {
  /** Open WebSocket connections, initialized or not. */
  connections(): number;
  /** Initialized players with a live connection on this node. */
  players(): number;
  /** Players whose connection dropped and whose seat is held for RESUME on this node. */
  held(): number;
  /** Lobbies in the store (a shared store: every node reports the same total). */
  lobbies(): Promise<number>;
  /** Relay peers running on this node. */
  relayPeers(): number;
  /** WebRTC links between this node's relay peers and lobby members. */
  relayLinks(): number;
  /** Links this node's relay peers are setting up now (each holds a slot of `--relay-negotiations`). */
  relayNegotiations(): number;
}

export interface ServerMetrics {
  readonly registry: Registry;
  readonly tally: Tallies;
  readonly nodeId: string;
}

/**
 * The default node id: readable in a dashboard, and new at every start. hostname-pid alone repeats when
 * a container restarts in place (same id, pid 1), and a node that came back under its old id would look
 * alive to the others, which then never release the players it had before the crash.
 */
export const defaultNodeId = (): string => `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;

let processRegistry: Registry | undefined;

/**
 * prom-client's default metrics: process CPU, memory, handles, GC, and nodejs_eventloop_lag_* (event-loop
 * delay). They describe the process, so they are made once per process and shared by its servers' registries:
 * the event-loop monitor they start cannot be stopped, and one per server would outlive every closed server.
 */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

export function serverMetrics(nodeId: string, sources: MetricSources): ServerMetrics {
  /** This server's own metrics; merged with the process metrics at the end. */
  const own = new Registry();
  const tally: Tallies = {
    signals: 0,
    rejected: { rate_limited: 0, invalid: 0, busy: 0, violation: 0 },
    resumes: 0,
    resumesRefused: 0,
    connectionsRefused: 0,
  };

  const level = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers: [own],
      collect() {
        this.set(read());
      },
    });
  level('cl5_connections', 'Open WebSocket connections (initialized or not).', sources.connections);
  level('cl5_players', 'Initialized players connected to this node.', sources.players);
  level('cl5_players_held', 'Players whose connection dropped, their seat held for RESUME.', sources.held);
  level('cl5_relay_peers', 'Relay peers running on this node.', sources.relayPeers);
  level('cl5_relay_links', "WebRTC links between this node's relay peers and lobby members.", sources.relayLinks);
  level('cl5_relay_negotiations', "Links this node's relay peers are setting up (each holds a slot of --relay-negotiations).", sources.relayNegotiations);
  new Gauge({
    name: 'cl5_lobbies',
    help: 'Lobbies in the store (with a shared store, the total across nodes). NaN when the store does not answer.',
    registers: [own],
    async collect() {
      // An unreachable store reads NaN rather than a stale or a false 0 (/readyz says why).
      this.set(await sources.lobbies().catch(() => Number.NaN));
    },
  });

  /** A prom-client counter fed from a tally: only the growth since the last scrape is added. */
  const counter = (name: string, help: string, read: () => number) => {
    let reported = 0;
    return new Counter({
      name,
      help,
      registers: [own],
      collect() {
        const now = read();
        this.inc(now - reported);
        reported = now;
      },
    });
  };
  counter('cl5_signals_relayed_total', 'WebRTC signals (MAKE_OFFER, MAKE_ANSWER, ICE) relayed to a peer or relay peer.', () => tally.signals);
  counter('cl5_resumes_total', 'Seats taken back with RESUME.', () => tally.resumes);
  counter('cl5_resumes_refused_total', 'RESUMEs refused (unknown, used or expired token, or too much missed).', () => tally.resumesRefused);
  counter(
    'cl5_connections_refused_total',
    'New connections refused: the caps (total, per address) or the rate of new connections per address.',
    () => tally.connectionsRefused,
  );
  let rejectedReported = { ...tally.rejected };
  new Counter({
    name: 'cl5_rejected_packets_total',
    help: 'Packets refused at the edge, by reason: rate_limited, invalid (failed validation, binary), busy (backlog full), violation (connection closed: too big or rate limit exceeded repeatedly).',
    labelNames: ['reason'],
    registers: [own],
    collect() {
      for (const reason of REJECT_REASONS) this.inc({ reason }, tally.rejected[reason] - rejectedReported[reason]);
      rejectedReported = { ...tally.rejected };
    },
  });
  const registry = Registry.merge([own, processMetrics()]);
  // Applied when the registry renders, so the shared process metrics get this server's label too.
  registry.setDefaultLabels({ node: nodeId });
  return { registry, tally, nodeId };
}
