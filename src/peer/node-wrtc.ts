// @roamhq/wrtc as Node code should drive it (the relay peer, a Node program using the client, the
// tests): connections whose closing waits for WebRTC (held-connection.ts) and whose descriptions are
// read from copies (description-copies.ts). Both guard against crashes of the whole process that
// JavaScript could otherwise cause: docs/architecture.md, "Native WebRTC crashes in Node".
import { copyingDescriptions } from './description-copies.js';
import { holdingClass } from './held-connection.js';

type PeerConnectionClass = new (config?: RTCConfiguration) => RTCPeerConnection;

const made = new WeakMap<object, object>();
const madeHere = new WeakSet<object>();

/** `wrtc` with its RTCPeerConnection made safe for Node: the same object for the same `wrtc`, and `wrtc` itself if it is one already. */
export function nodeWrtc(wrtc: object): object {
  if (madeHere.has(wrtc)) return wrtc;
  let safe = made.get(wrtc);
  if (!safe) {
    const Base = (wrtc as { RTCPeerConnection: PeerConnectionClass }).RTCPeerConnection;
    safe = { ...wrtc, RTCPeerConnection: holdingClass(copyingDescriptions(Base)) };
    made.set(wrtc, safe);
    madeHere.add(safe);
  }
  return safe;
}
