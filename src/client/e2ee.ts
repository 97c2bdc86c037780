// End-to-end encryption of signalling (protocol.md §6): ECDH P-256 key agreement, AES-GCM-256,
// `[ciphertext_b64, iv_b64]` with a fresh 12-byte IV. WebCrypto only, so it runs in browsers and Node 20.
import { CloudLinkError } from './errors.js';

const subtle = (): SubtleCrypto => {
  const crypto = globalThis.crypto;
  if (!crypto?.subtle) throw new CloudLinkError('unsupported', 'WebCrypto is not available (E2EE needs a secure context: https or localhost)');
  return crypto.subtle;
};

const toBase64 = (bytes: ArrayBuffer | Uint8Array): string => {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let binary = '';
  for (let i = 0; i < view.length; i += 0x8000) binary += String.fromCharCode(...view.subarray(i, i + 0x8000));
  return btoa(binary);
};

const fromBase64 = (text: string): Uint8Array<ArrayBuffer> => {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
};

export type Sealed = [ciphertext: string, iv: string];

export const isSealed = (value: unknown): value is Sealed =>
  Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string';

/** My ECDH key pair; `publicKey` is what goes into INIT. */
export class KeyPair {
  private readonly shared = new Map<string, Promise<CryptoKey>>();

  private constructor(
    private readonly keys: CryptoKeyPair,
    readonly publicKey: string,
  ) {}

  static async generate(): Promise<KeyPair> {
    const keys = (await subtle().generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveKey'])) as CryptoKeyPair;
    return new KeyPair(keys, toBase64(await subtle().exportKey('spki', keys.publicKey)));
  }

  /** The AES-GCM key shared with the owner of `peerPublicKey` (cached per key). */
  sharedKey(peerPublicKey: string): Promise<CryptoKey> {
    let key = this.shared.get(peerPublicKey);
    if (!key) {
      key = (async () => {
        const peer = await subtle().importKey('spki', fromBase64(peerPublicKey), { name: 'ECDH', namedCurve: 'P-256' }, false, []);
        return subtle().deriveKey({ name: 'ECDH', public: peer }, this.keys.privateKey, { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
      })();
      // A bad key must not stay cached as a rejected promise.
      key.catch(() => this.shared.delete(peerPublicKey));
      this.shared.set(peerPublicKey, key);
    }
    return key;
  }
}

export async function seal(key: CryptoKey, value: unknown): Promise<Sealed> {
  const iv = globalThis.crypto.getRandomValues(new Uint8Array(12));
  const plaintext = new TextEncoder().encode(JSON.stringify(value));
  const ciphertext = await subtle().encrypt({ name: 'AES-GCM', iv }, key, plaintext);
  return [toBase64(ciphertext), toBase64(iv)];
}

export async function open(key: CryptoKey, [ciphertext, iv]: Sealed): Promise<unknown> {
  const plaintext = await subtle().decrypt({ name: 'AES-GCM', iv: fromBase64(iv) }, key, fromBase64(ciphertext));
  return JSON.parse(new TextDecoder().decode(plaintext));
}
