// Types of raw-ws.mjs, for the tests that drive the server with it (test/server/incoming.test.ts).
import type { Socket } from 'node:net';

export interface RawWsClient {
  socket: Socket;
  inbox: string[];
  onText: ((text: string) => void) | null;
  closeFrame: { code: number; reason: string } | null;
  onClose: ((frame: { code: number; reason: string }) => void) | null;
  send(text: string): boolean;
  write(bytes: Buffer): boolean;
  close(): void;
}
export function clientFrame(text: string): Buffer;
export function unfinishedFragment(bytes: Buffer, first: boolean): Buffer;
export function open(port: number, path: string, options?: { localAddress?: string }): Promise<RawWsClient>;
export function next(client: RawWsClient, accept: (packet: { opcode: string; payload?: unknown }) => boolean): Promise<{ opcode: string; payload?: unknown }>;
export function request(
  client: RawWsClient,
  packet: object,
  accept: (packet: { opcode: string; payload?: unknown }) => boolean,
): Promise<{ opcode: string; payload?: unknown }>;
