// nodeWrtc (src/peer/node-wrtc.ts) on the real @roamhq/wrtc: made once per wrtc; a connection is
// released only after its close, once WebRTC has let go of it; its descriptions are copies of what
// was set, so reading them never touches what WebRTC's threads are changing.
import nativeWrtc from '@roamhq/wrtc';
import { describe, expect, it } from 'vitest';
import { releaseOf } from '../../src/peer/held-connection.js';
import { nodeWrtc } from '../../src/peer/node-wrtc.js';
import { until } from '../helpers/until.js';

const { RTCPeerConnection } = nodeWrtc(nativeWrtc) as typeof nativeWrtc;

describe('nodeWrtc', () => {
  it('is made once: the same one for the same wrtc, and one already made is returned as it is', () => {
    const safe = nodeWrtc(nativeWrtc);
    expect(nodeWrtc(nativeWrtc)).toBe(safe);
    expect(nodeWrtc(safe)).toBe(safe);
    expect(safe).not.toBe(nativeWrtc);
  });

  it('releases a connection after its close, not before', async () => {
    const pc = new RTCPeerConnection();
    pc.createDataChannel('default');
    await pc.setLocalDescription(await pc.createOffer());
    let released = false;
    void releaseOf(pc).then(() => (released = true));
    // Turns go by with the connection open: it is not released.
    for (let turn = 0; turn < 20; turn += 1) await new Promise((resolve) => setImmediate(resolve));
    expect(released).toBe(false);
    pc.close();
    await releaseOf(pc);
    expect(pc.connectionState).toBe('closed');
  });

  it('reads the descriptions from copies: the local one as set, without the candidates gathered since; the remote one once set', async () => {
    const [offerer, answerer] = [new RTCPeerConnection(), new RTCPeerConnection()];
    try {
      offerer.createDataChannel('default');
      const gathered: string[] = [];
      offerer.addEventListener('icecandidate', (event) => event.candidate && gathered.push(event.candidate.candidate));
      expect(offerer.localDescription).toBeNull();
      const offer = await offerer.createOffer();
      await offerer.setLocalDescription(offer);
      await until(() => offerer.iceGatheringState === 'complete', 'gathering complete');
      // WebRTC's own local description now lists the candidates it gathered; the copy is what was set.
      expect(gathered.length).toBeGreaterThan(0);
      expect(offerer.localDescription).toMatchObject({ type: 'offer', sdp: offer.sdp });
      expect(offerer.localDescription!.sdp).not.toContain('a=candidate');

      const setting = answerer.setRemoteDescription(offer);
      expect(answerer.remoteDescription).toBeNull(); // not until it is set
      await setting;
      expect(answerer.remoteDescription).toMatchObject({ type: 'offer', sdp: offer.sdp });
      const answer = await answerer.createAnswer();
      await answerer.setLocalDescription(answer);
      expect(answerer.localDescription).toMatchObject({ type: 'answer', sdp: answer.sdp });
    } finally {
      offerer.close();
      answerer.close();
      await Promise.all([releaseOf(offerer), releaseOf(answerer)]);
    }
  });
});
