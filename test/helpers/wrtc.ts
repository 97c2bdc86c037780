// The WebRTC every Node test client uses: @roamhq/wrtc through nodeWrtc, so that no closed connection is
// collected while WebRTC may still answer for it. Close the clients with disconnectAll
// (disconnect-all.ts). Why: docs/architecture.md, "Native WebRTC crashes in Node".
import nativeWrtc from '@roamhq/wrtc';
import { nodeWrtc } from '../../src/peer/node-wrtc.js';

export const wrtc = nodeWrtc(nativeWrtc) as typeof nativeWrtc;
