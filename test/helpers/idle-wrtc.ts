// A WebRTC stand-in whose links never connect (the offer never comes), for tests about lobby state
// that make and drop links faster than they could open. With @roamhq/wrtc, a hundred peer connections
// closed in the middle of negotiation were seen to crash the test process (SIGSEGV, a known upstream
// problem: WonderInventions/node-webrtc#35; see docs/architecture.md, "Closing WebRTC connections in
// Node"); links themselves are tested with the real one elsewhere.
// simple-peer only needs what it touches before a link connects: these members.

class IdleDataChannel {
  binaryType = 'arraybuffer';
  readyState = 'connecting';
  bufferedAmount = 0;
  bufferedAmountLowThreshold = 0;
  onopen: unknown = null;
  onclose: unknown = null;
  onerror: unknown = null;
  onmessage: unknown = null;
  onbufferedamountlow: unknown = null;
  constructor(readonly label: string) {}
  send(): void {
    throw new Error('the idle data channel never opens');
  }
  close(): void {
    this.readyState = 'closed';
  }
}

/** Never settles: negotiation stays where it is until the link is destroyed. */
const never = () => new Promise<never>(() => {});

class IdlePeerConnection {
  signalingState = 'stable';
  iceConnectionState = 'new';
  iceGatheringState = 'new';
  connectionState = 'new';
  localDescription = null;
  remoteDescription = null;
  onicecandidate: unknown = null;
  oniceconnectionstatechange: unknown = null;
  onicegatheringstatechange: unknown = null;
  onsignalingstatechange: unknown = null;
  onconnectionstatechange: unknown = null;
  ondatachannel: unknown = null;
  ontrack: unknown = null;
  createDataChannel(label: string): IdleDataChannel {
    return new IdleDataChannel(label);
  }
  createOffer = never;
  createAnswer = never;
  setLocalDescription = never;
  setRemoteDescription = never;
  addIceCandidate = never;
  getStats = never;
  close(): void {
    this.signalingState = 'closed';
  }
}

export const idleWrtc = { RTCPeerConnection: IdlePeerConnection, RTCSessionDescription: class {}, RTCIceCandidate: class {} };
