// @roamhq/wrtc reads a connection's descriptions off WebRTC's own objects on the JavaScript thread,
// while WebRTC's signalling thread may be changing them: gathering adds each local candidate to the
// local description, and a description or candidate being set changes the remote one. A read that
// overlapped killed a test process (SIGSEGV in webrtc::SdpSerialize, under the localDescription getter
// that simple-peer reads the moment setLocalDescription resolves, as gathering starts). So in Node the
// two are read from copies of what was set: its type and sdp, without the candidates gathered since
// (with trickle ICE those travel as candidate signals anyway). Browsers need none of this.

type PeerConnectionClass = new (config?: RTCConfiguration) => RTCPeerConnection;

/** What a description getter returns once `description` was set: unknown (undefined) when none was given. */
function copyOf(description: RTCLocalSessionDescriptionInit | undefined): RTCSessionDescriptionInit | null | undefined {
  if (!description?.type) return undefined;
  return description.type === 'rollback' ? null : { type: description.type, sdp: description.sdp ?? '' };
}

/** `Base` whose localDescription and remoteDescription are copies of what was last set successfully. */
export function copyingDescriptions(Base: PeerConnectionClass): PeerConnectionClass {
  return class CopiedDescriptions extends Base {
    private local: RTCSessionDescriptionInit | null | undefined = null;
    private remote: RTCSessionDescriptionInit | null | undefined = null;

    constructor(config?: RTCConfiguration) {
      super(config);
      // wrtc's own getters are fixed on the instance (non-configurable) and read these from its native
      // object, whose are not: they are replaced there.
      const native = (this as unknown as { _pc: object })._pc;
      const nativeGetter = (name: string) => () => Reflect.get(Object.getPrototypeOf(native) as object, name, native) as unknown;
      const [localFromWebRtc, remoteFromWebRtc] = [nativeGetter('localDescription'), nativeGetter('remoteDescription')];
      Object.defineProperties(native, {
        localDescription: { get: () => (this.local === undefined ? localFromWebRtc() : this.local) },
        remoteDescription: { get: () => (this.remote === undefined ? remoteFromWebRtc() : this.remote) },
      });
    }

    override async setLocalDescription(description?: RTCLocalSessionDescriptionInit): Promise<void> {
      await super.setLocalDescription(description);
      this.local = copyOf(description);
    }

    override async setRemoteDescription(description: RTCSessionDescriptionInit): Promise<void> {
      await super.setRemoteDescription(description);
      this.remote = copyOf(description);
    }
  };
}
