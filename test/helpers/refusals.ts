// Bringing the server's limit on new connections from this address to the point of refusal, whatever
// refilled meanwhile (a test cannot count on how long its own steps take under load).
import { expect } from 'vitest';
import { RawClient } from '../server/helpers.js';

/**
 * Opens connections to `url` (each admitted one identified and kept in `opened`) until the server
 * refuses one: with 1013 and the wait ('told'), or with a bare HTTP 429 ('bare', once the refusals it
 * tells are spent). The next connection right after is refused the same way.
 */
export async function refuseNext(url: string, until: 'told' | 'bare', opened: RawClient[]): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt += 1) {
    let raw: RawClient;
    try {
      raw = await RawClient.open(url);
    } catch (error) {
      if (until === 'bare' && /429/.test(String(error))) return;
      throw error;
    }
    opened.push(raw);
    const reply = await raw.request('INIT', { username: `raw-${opened.length}` }).catch(() => null);
    if (reply === null) {
      expect(raw.closeInfo?.code).toBe(1013);
      if (until === 'told') return;
    }
  }
  throw new Error(`the server did not refuse a connection (${until}) within 20 tries`);
}
