// @roamhq/wrtc's native objects answer from WebRTC's own threads through raw pointers to their
// JavaScript wrappers: an offer, answer, description or stats request still in flight when its
// connection closes answers afterwards, and if the wrapper was collected meanwhile the process dies
// (SIGSEGV; WonderInventions/node-webrtc#35 and its older kin). So every connection made through
// `nodeWrtc` (node-wrtc.ts) counts its requests in flight, and once closed it stays referenced (with its data
// channels) until WebRTC has reported it closed and each request has answered. A request whose answer
// came after the close may never settle, so the hold is bounded. Browsers need none of this.

/** The longest a closed connection is held for requests that have not answered. */
export const HOLD_LIMIT_MS = 5000;

/** Requests WebRTC answers from its own threads (addIceCandidate is answered on this one). */
const TRACKED_REQUESTS = ['createOffer', 'createAnswer', 'setLocalDescription', 'setRemoteDescription', 'getStats'] as const;
type TrackedRequest = (typeof TRACKED_REQUESTS)[number];

type PeerConnectionClass = new (config?: RTCConfiguration) => RTCPeerConnection;

/** What a held connection adds: when WebRTC has let go of it. */
export interface HeldConnection {
  /** Resolves once it is closed and WebRTC is done with it (at most HOLD_LIMIT_MS after its close). */
  readonly released: Promise<void>;
}

/** Closed connections waiting for WebRTC: referenced here so that no collection can finalize them. */
const holding = new Set<HeldConnection>();

/** The connection's release, if it was made through nodeWrtc; resolved at once otherwise. */
export function releaseOf(pc: unknown): Promise<void> {
  return (pc as Partial<HeldConnection> | null)?.released ?? Promise.resolve();
}

/** `Base` whose connections, once closed, stay referenced until WebRTC has let go of them. */
export function holdingClass(Base: PeerConnectionClass): PeerConnectionClass {
  return class Held extends Base implements HeldConnection {
    private inFlight = 0;
    private reportedClosed = false;
    private closing = false;
    /** Its data channels, ours and the peer's, kept with it. */
    private readonly channels: RTCDataChannel[] = [];
    private release: () => void = () => {};
    readonly released = new Promise<void>((resolve) => {
      this.release = resolve;
    });
    private limit: ReturnType<typeof setTimeout> | undefined;

    constructor(config?: RTCConfiguration) {
      super(config);
      this.addEventListener('signalingstatechange', () => {
        if (this.signalingState !== 'closed') return;
        this.reportedClosed = true;
        this.check();
      });
      this.addEventListener('datachannel', (event) => this.channels.push(event.channel));
      const methods = this as unknown as Record<TrackedRequest, (...args: unknown[]) => Promise<unknown>>;
      for (const name of TRACKED_REQUESTS) {
        const request = methods[name];
        methods[name] = (...args) => this.track(request.apply(this, args));
      }
    }

    override createDataChannel(label: string, init?: RTCDataChannelInit): RTCDataChannel {
      const channel = super.createDataChannel(label, init);
      this.channels.push(channel);
      return channel;
    }

    override close(): void {
      if (!this.closing) {
        this.closing = true;
        holding.add(this);
        this.limit = setTimeout(() => this.letGo(), HOLD_LIMIT_MS);
        this.limit.unref?.();
      }
      super.close();
    }

    private track<T>(request: Promise<T>): Promise<T> {
      this.inFlight += 1;
      const answered = () => {
        this.inFlight -= 1;
        this.check();
      };
      request.then(answered, answered);
      return request;
    }

    private check(): void {
      if (this.closing && this.reportedClosed && this.inFlight === 0) this.letGo();
    }

    private letGo(): void {
      clearTimeout(this.limit);
      holding.delete(this);
      this.channels.length = 0;
      this.release();
    }
  };
}

/** Closed connections still held (for tests and benchmarks). */
export function heldCount(): number {
  return holding.size;
}
