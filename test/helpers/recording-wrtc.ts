// A WebRTC implementation (the real @roamhq/wrtc by default, or a stand-in such as idle-wrtc) that
// keeps every RTCPeerConnection made through it, so a test can read what a client's links were
// configured with (getConfiguration) and which route they took (getStats).
import { wrtc as realWrtc } from './wrtc.js';

type PeerConnectionClass = new (config?: RTCConfiguration) => RTCPeerConnection;

export interface RecordingWrtc {
  /** Pass as the client's `wrtc`. */
  wrtc: object;
  /** Every peer connection made so far, with the configuration it was made with. */
  made: { pc: RTCPeerConnection; config: RTCConfiguration }[];
}

export function recordingWrtc(base: object = realWrtc): RecordingWrtc {
  const made: RecordingWrtc['made'] = [];
  const Base = (base as { RTCPeerConnection: PeerConnectionClass }).RTCPeerConnection;
  class Recorded extends Base {
    constructor(config: RTCConfiguration = {}) {
      super(config);
      made.push({ pc: this, config });
    }
  }
  return { wrtc: { ...base, RTCPeerConnection: Recorded }, made };
}
