// A bad frame's error without a stack trace. For every frame it refuses (over maxPayload, a bad opcode,
// invalid UTF-8) ws's Receiver builds an Error and captures its stack twice (the constructor, then
// Error.captureStackTrace), and Node's stream destroy then formats it (it reads `err.stack`): 40–90 µs
// a refused frame, and a flood of over-size frames from 1,000 connections brings hundreds of them
// into one turn (bench/abuse.mjs `fragments`). The server never logs these stacks (onError keeps only
// the code and message), and a stack inside ws says nothing about the client that sent the frame.
//
// ws 8.x private API (node_modules/ws/lib/receiver.js): a connection's Receiver is `_receiver` and makes
// every such error with its method `createError`; test/contracts/ws.test.ts checks both.
import type { WebSocket } from 'ws';

type CreateError = (this: unknown, ...args: unknown[]) => Error;
interface Receiver {
  createError: CreateError;
}

function createErrorWithoutStack(this: unknown, ...args: unknown[]): Error {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return (Object.getPrototypeOf(this) as Receiver).createError.apply(this, args);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** ws's errors for `ws`'s refused frames are made without a stack from now on. */
export function frameErrorsWithoutStack(ws: WebSocket): void {
  const receiver = (ws as unknown as { _receiver?: Receiver })._receiver;
  if (receiver) receiver.createError = createErrorWithoutStack;
}
