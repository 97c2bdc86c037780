// INIT with a token or credential and no username (protocol.md §2 "username, token, or credential"):
// the --token-verifier plug-ins for real (an HTTP endpoint this test runs on 127.0.0.1, a module file),
// guest names, and the WARNING when no verifier is configured.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Warning } from '../../src/protocol/index.js';
import { loadTokenVerifier } from '../../src/server/token-verifier.js';
import { serverPerTest } from '../helpers/served.js';
import { bundleServer, printedWsUrl, type ServerBundle } from '../helpers/server-process.js';
import { RawClient } from './helpers.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const served = serverPerTest();
const { serve, clients } = served;
let tmp: string;

beforeAll(() => {
  mkdirSync(path.join(root, 'tmp'), { recursive: true });
  tmp = mkdtempSync(path.join(root, 'tmp', 'verifier-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
async function open(url = served.server.wsUrl): Promise<RawClient> {
  const client = await RawClient.open(url);
  clients.push(client);
  return client;
}

/** The accounts both verifiers know: token → account. */
const ACCOUNTS: Record<string, { user_id: string; username: string }> = {
  'tok-ann': { user_id: 'acct-1', username: 'Ann' },
  'tok-bob': { user_id: 'acct-2', username: 'Bob' },
};

/** A module verifier, as an operator would write it. */
function writeModule(): string {
  const file = path.join(tmp, 'verifier.mjs');
  writeFileSync(
    file,
    `const accounts = ${JSON.stringify(ACCOUNTS)};
export default async function verify(token, username, kind) {
  if (token === 'throws') throw new Error('database down');
  if (token === 'nonsense') return { user_id: 42 };
  return accounts[token] ?? null;
}\n`,
  );
  return file;
}

/** An HTTP verifier on 127.0.0.1 (port 0); records what it was asked. */
async function httpVerifier(): Promise<{ url: string; asked: unknown[]; close: () => Promise<void> }> {
  const asked: unknown[] = [];
  const http: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += String(chunk)));
    req.on('end', () => {
      const question = JSON.parse(body) as { token: string };
      asked.push(question);
      if (question.token === 'broken') return void res.writeHead(500).end('oops');
      const account = ACCOUNTS[question.token];
      if (!account) return void res.writeHead(401).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(account));
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/verify`, asked, close: () => new Promise((resolve) => http.close(() => resolve())) };
}

/** What both kinds must do: the account's name and id for a good token, refusal for a bad one, guest names are unique. */
async function checkVerifier(): Promise<void> {
  const ann = await open();
  expect(await ann.request('INIT', { token: 'tok-ann' })).toMatchObject({ opcode: 'INIT_OK', payload: { user_id: 'acct-1', username: 'Ann' } });
  // A credential is checked the same way; the account's name replaces the one asked for (even a taken one).
  const bob = await open();
  expect(await bob.request('INIT', { username: 'Ann', credential: 'tok-bob' })).toMatchObject({
    opcode: 'INIT_OK',
    payload: { user_id: 'acct-2', username: 'Bob' },
  });
  // The account's name wins over the one asked for; a taken one is refused like any.
  const twin = await open();
  expect(await twin.request('INIT', { username: 'someone', token: 'tok-ann' })).toMatchObject({ opcode: 'WARNING', payload: Warning.usernameTaken });
  const bad = await open();
  expect(await bad.request('INIT', { token: 'nobody' })).toMatchObject({ opcode: 'WARNING', payload: Warning.invalidToken });
  // Refused, the connection may try again.
  expect(await bad.request('INIT', { username: 'cat' })).toMatchObject({ opcode: 'INIT_OK', payload: { username: 'cat' } });
}

describe('token verifier plug-ins', () => {
  it('an HTTP endpoint: POST {token, username?, kind}, 200 accepts, 401 refuses, 500 refuses (logged)', async () => {
    const verifier = await httpVerifier();
    try {
      await serve({ tokenVerifier: await loadTokenVerifier(verifier.url) });
      await checkVerifier();
      expect(verifier.asked.slice(0, 2)).toEqual([
        { token: 'tok-ann', kind: 'token' },
        { token: 'tok-bob', kind: 'credential', username: 'Ann' },
      ]);
      expect(verifier.asked[2]).toEqual({ token: 'tok-ann', kind: 'token', username: 'someone' });
      const broken = await open();
      expect(await broken.request('INIT', { token: 'broken' })).toMatchObject({ opcode: 'WARNING', payload: Warning.invalidToken });
    } finally {
      await verifier.close();
    }
  });

  it('a module file: its default export; one that throws or answers a bad account refuses the token', async () => {
    await serve({ tokenVerifier: await loadTokenVerifier(writeModule()) });
    await checkVerifier();
    for (const token of ['throws', 'nonsense']) {
      const client = await open();
      expect(await client.request('INIT', { token })).toMatchObject({ opcode: 'WARNING', payload: Warning.invalidToken });
    }
  });

  it('refuses to load a module without a function', async () => {
    const file = path.join(tmp, 'empty.mjs');
    writeFileSync(file, 'export const nothing = 1;\n');
    await expect(loadTokenVerifier(file)).rejects.toThrow(/must export a function/);
  });

  it('a verifier without a name for the account: the INIT username, else a guest name', async () => {
    await serve({ tokenVerifier: async (token) => (token === 'ok' ? { user_id: 'acct-9' } : null) });
    const named = await open();
    expect(await named.request('INIT', { username: 'dan', token: 'ok' })).toMatchObject({ payload: { username: 'dan', user_id: 'acct-9' } });
    const unnamed = await open();
    expect(await unnamed.request('INIT', { token: 'ok' })).toMatchObject({ payload: { username: expect.stringMatching(/^Guest \d{4,}$/) } });
  });
});

describe('INIT without a username and no verifier', () => {
  it('gives unique guest names and a WARNING (no listener: the INIT succeeded) saying the token was not checked', async () => {
    await serve();
    const names = new Set<string>();
    for (let i = 0; i < 12; i += 1) {
      const client = await open();
      const ok = await client.request('INIT', { token: `t${i}` }, 'INIT_OK');
      names.add((ok.payload as { username: string }).username);
      const notice = await client.next('WARNING');
      expect(notice).toEqual({ opcode: 'WARNING', payload: Warning.tokenNotChecked });
    }
    expect(names.size).toBe(12);
    for (const name of names) expect(name).toMatch(/^Guest \d{4,}$/);
    // A username with a token: the token is ignored, quietly (as before).
    const ann = await open();
    await ann.request('INIT', { username: 'ann', token: 'x' }, 'INIT_OK');
    await ann.sync();
    expect(ann.opcodes()).toEqual([]);
  });

  it('refuses an INIT with neither username, token nor credential', async () => {
    await serve();
    const client = await open();
    expect(await client.request('INIT', {})).toMatchObject({ opcode: 'WARNING', payload: Warning.initNeedsIdentity });
  });
});

describe('--token-verifier (the CLI, a real process)', () => {
  let bundle: ServerBundle;
  beforeAll(async () => {
    bundle = await bundleServer();
  });
  afterAll(() => bundle.dispose());

  it('loads a module path, and stops with one clear line when it cannot', async () => {
    const cli = bundle.run(['--port', '0', '--token-verifier', writeModule()]);
    const client = await open(await printedWsUrl(cli));
    expect(await client.request('INIT', { token: 'tok-bob' })).toMatchObject({ opcode: 'INIT_OK', payload: { username: 'Bob', user_id: 'acct-2' } });
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);

    const missing = bundle.run(['--port', '0', '--token-verifier', path.join(tmp, 'no-such.mjs')]);
    expect(await missing.exited).toBe(2);
    expect(missing.output()).toContain('invalid --token-verifier');
  });
});
