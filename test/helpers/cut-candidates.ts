// A player's signalling WebSocket that keeps the ICE candidates between it and some other players
// from getting through, both ways: ICE messages are dropped, and candidate lines are taken out of
// offers and answers (libwebrtc puts the ones it already gathered in the SDP). What a NAT without a
// usable path looks like to WebRTC: signalling works, connectivity does not. Only for signals in the
// clear: a sealed (E2EE) offer cannot be stripped, so between keyed players `everySignal` drops
// offers and answers too (the link then never gets as far as ICE).
import WebSocket from 'ws';
import type { WebSocketConstructor, WebSocketLike } from '../../src/client/websocket.js';

type Packet = { opcode?: string; recipient?: string; origin?: { instance_id?: string }; payload?: { contents?: { sdp?: string } } };

export interface CandidateCut {
  /** Instance ids this player's candidates cannot travel to or from (fill it once they are known). */
  readonly cutOff: Set<string>;
  /** Candidates dropped so far (ICE messages and SDP lines). */
  readonly dropped: number;
  /** The player's WebSocket class. */
  readonly WebSocket: WebSocketConstructor;
}

export function cutCandidates({ everySignal = false } = {}): CandidateCut {
  const cutOff = new Set<string>();
  let dropped = 0;

  /** The frame to pass on (stripped if it is a signal with a cut-off player), or null. */
  const cut = (text: string, peer: (packet: Packet) => string | undefined): string | null => {
    const packet = JSON.parse(text) as Packet;
    const id = peer(packet);
    if (id === undefined || !cutOff.has(id)) return text;
    if (packet.opcode === 'ICE' || everySignal) {
      dropped += 1;
      return null;
    }
    const sdp = packet.payload?.contents?.sdp;
    if (sdp === undefined) return text;
    const lines = sdp.split('\r\n');
    const kept = lines.filter((line) => !line.startsWith('a=candidate') && !line.startsWith('a=end-of-candidates'));
    dropped += lines.length - kept.length;
    packet.payload!.contents!.sdp = kept.join('\r\n');
    return JSON.stringify(packet);
  };

  class CutOffWebSocket implements WebSocketLike {
    private readonly ws: WebSocket;
    onopen: WebSocketLike['onopen'] = null;
    onmessage: WebSocketLike['onmessage'] = null;
    onclose: WebSocketLike['onclose'] = null;
    onerror: WebSocketLike['onerror'] = null;

    constructor(url: string) {
      this.ws = new WebSocket(url);
      this.ws.onopen = (event) => this.onopen?.(event);
      this.ws.onclose = (event) => this.onclose?.(event);
      this.ws.onerror = (event) => this.onerror?.(event);
      this.ws.onmessage = (event) => {
        const data = cut(String(event.data), (packet) => packet.origin?.instance_id);
        if (data !== null) this.onmessage?.({ data });
      };
    }

    get readyState(): number {
      return this.ws.readyState;
    }

    send(data: string): void {
      const kept = cut(data, (packet) => packet.recipient);
      if (kept !== null) this.ws.send(kept);
    }

    close(code?: number, reason?: string): void {
      this.ws.close(code, reason);
    }
  }

  return {
    cutOff,
    get dropped() {
      return dropped;
    },
    WebSocket: CutOffWebSocket,
  };
}
