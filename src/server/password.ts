// Lobby passwords are kept only as salted scrypt hashes and compared in constant time.
//
// scrypt runs on threads of our own at a lower CPU priority (nice), not on libuv's pool: a hash takes
// ~40 ms of a core, and a few of them at once on libuv's threads (priority 0) made the signalling thread
// wait for a core, so every other game's requests waited with it (bench/abuse.mjs, password rows). Niced,
// a hash takes only the CPU that signalling leaves. Linux lowers one thread's priority (setpriority on
// its thread id); elsewhere the threads keep the process's priority.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { Worker } from 'node:worker_threads';

export interface PasswordHash {
  salt: Buffer;
  hash: Buffer;
}

export interface PasswordHashingOptions {
  /** Hashes that may run at once, each on a thread of its own (started when first needed). */
  threads: number;
  /** Those threads' CPU priority, 0–19: higher yields the CPU to signalling. */
  nice: number;
}

export const DEFAULT_PASSWORD_HASHING: PasswordHashingOptions = { threads: 2, nice: 10 };

/** Key length, and scrypt's defaults (N = 16384, r = 8, p = 1): hashes made before these threads still verify. */
const KEY_LENGTH = 32;

// The thread's code, evaluated (not a file of its own): the server stays one file, dist/server.mjs.
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { scryptSync } = require('node:crypto');
let tid = 0;
let nice = null;
try {
  tid = Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop());
  require('node:os').setPriority(tid, workerData.nice);
  nice = workerData.nice;
} catch {}
parentPort.postMessage({ tid, nice });
parentPort.on('message', ({ password, salt }) => {
  try {
    parentPort.postMessage({ key: scryptSync(password, salt, ${KEY_LENGTH}) });
  } catch (error) {
    parentPort.postMessage({ error: String(error) });
  }
});
`;

const stoppedError = () => new Error('password hashing stopped: the server is closing');

interface Job {
  /** Hashed before the jobs that are not (in arrival order among themselves). */
  ahead: boolean;
  password: string;
  salt: Buffer;
  resolve: (key: Buffer) => void;
  reject: (error: Error) => void;
}

interface HashThread {
  worker: Worker;
  /** The job it is hashing, if any. */
  job: Job | null;
  /** Its thread id and the priority it runs at (null: left as it was), once it has started. */
  started: Promise<{ tid: number; nice: number | null }>;
}

export class PasswordHasher {
  private readonly threads: HashThread[] = [];
  private readonly waiting: Job[] = [];
  private stopped = false;

  constructor(private readonly options: PasswordHashingOptions = DEFAULT_PASSWORD_HASHING) {
    if (!(options.threads >= 1)) throw new RangeError(`password hashing needs at least 1 thread, not ${options.threads}`);
  }

  async hash(password: string): Promise<PasswordHash> {
    const salt = randomBytes(16);
    return { salt, hash: await this.derive(password, salt) };
  }

  /**
   * Whether `password` is the one `stored` was made from. `ahead`: hashed before the checks waiting without
   * it, e.g. a player whose address has not guessed wrong lately (password-guard.ts), so that guesses spread
   * over many lobbies, which keep every hashing thread busy, do not make an honest join wait behind them all.
   */
  async verify(password: string, stored: PasswordHash, { ahead = false } = {}): Promise<boolean> {
    return timingSafeEqual(await this.derive(password, stored.salt, ahead), stored.hash);
  }

  /** The hashing threads started so far: each one's thread id and priority (for tests and diagnostics). */
  running(): Promise<{ tid: number; nice: number | null }[]> {
    return Promise.all(this.threads.map((thread) => thread.started));
  }

  /** Ends every thread; hashes not finished fail. */
  async stop(): Promise<void> {
    this.stopped = true;
    const closing = stoppedError();
    for (const job of this.waiting.splice(0)) job.reject(closing);
    const threads = this.threads.splice(0);
    for (const thread of threads) thread.job?.reject(closing);
    await Promise.all(threads.map((thread) => thread.worker.terminate()));
  }

  private derive(password: string, salt: Buffer, ahead = false): Promise<Buffer> {
    if (this.stopped) return Promise.reject(stoppedError());
    return new Promise((resolve, reject) => {
      const job = { ahead, password: password.normalize('NFC'), salt, resolve, reject };
      // After the jobs already ahead, before the others.
      const at = ahead ? this.waiting.findIndex((waiting) => !waiting.ahead) : -1;
      this.waiting.splice(at < 0 ? this.waiting.length : at, 0, job);
      this.next();
    });
  }

  /** Hands waiting jobs to idle threads, starting threads up to the limit. */
  private next(): void {
    while (this.waiting.length > 0) {
      const thread = this.threads.find((t) => t.job === null) ?? (this.threads.length < this.options.threads ? this.startThread() : null);
      if (!thread) return;
      const job = this.waiting.shift()!;
      thread.job = job;
      thread.worker.postMessage({ password: job.password, salt: job.salt });
    }
  }

  private startThread(): HashThread {
    const worker = new Worker(THREAD_SOURCE, { eval: true, workerData: { nice: this.options.nice } });
    // Unreferenced: hashing never keeps a process alive on its own (its requests' sockets do).
    worker.unref();
    let startedWith!: (info: { tid: number; nice: number | null }) => void;
    const thread: HashThread = { worker, job: null, started: new Promise((resolve) => (startedWith = resolve)) };
    worker.on('message', (message: { tid?: number; nice?: number | null; key?: Uint8Array; error?: string }) => {
      if (message.tid !== undefined) return startedWith({ tid: message.tid, nice: message.nice ?? null });
      const job = thread.job;
      thread.job = null;
      if (message.key) job?.resolve(Buffer.from(message.key.buffer, message.key.byteOffset, message.key.byteLength));
      else job?.reject(new Error(`password hashing failed: ${message.error}`));
      this.next();
    });
    // A thread that dies takes only its own job: the next hash starts a new one.
    const lost = (why: string) => {
      const at = this.threads.indexOf(thread);
      if (at < 0) return;
      this.threads.splice(at, 1);
      startedWith({ tid: 0, nice: null });
      thread.job?.reject(new Error(`password hashing thread ${why}`));
      thread.job = null;
      this.next();
    };
    worker.on('error', (error) => lost(`failed: ${error.message}`));
    worker.on('exit', (code) => lost(`exited with ${code}`));
    this.threads.push(thread);
    return thread;
  }
}
