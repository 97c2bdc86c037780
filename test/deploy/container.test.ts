// The container files (Dockerfile, .dockerignore, compose.yaml; docs/deploy.md) checked without a
// container engine: what the image copies exists and gets into the build context, the dependencies it
// installs cover what dist/server.mjs imports, its command (with the compose file's environment) starts
// the real server and its HEALTHCHECK passes, and the compose file sets only settings the server reads.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ComposeService, readCompose } from '../helpers/compose.js';
import { freeTcpPort } from '../helpers/debian-service.js';
import { type RedisServer, startRedis } from '../helpers/redis.js';
import { copies, envOf, execForm, inContext, instructions, readDockerfile } from '../helpers/dockerfile.js';
import { waitFor } from '../helpers/server-process.js';
import { RawClient } from '../server/helpers.js';

const root = path.resolve(import.meta.dirname, '../..');
const at = (file: string) => path.join(root, file);
const stages = readDockerfile(at('Dockerfile'));
const final = stages.at(-1)!;
const imageEnv = envOf(final);

/** The settings the server reads: `--flag` names and their CL5_* variables, from src/server/main.ts. */
const mainSource = readFileSync(at('src/server/main.ts'), 'utf8');
const serverEnv = [...mainSource.matchAll(/process\.env\.(CL5_[A-Z_]+)/g)].map((m) => m[1]);
const serverFlags = [...mainSource.matchAll(/^\s+'?([a-z][a-z-]*)'?: \{\s+type: '(?:string|boolean)'/gm)].map((m) => `--${m[1]}`);

/** What an operator's .env must hold (the compose file refuses to start without them). */
const operatorEnv = { CL5_TURN_URL: 'turn:turn.example.com:3478', CL5_TURN_SECRET: 'a-long-random-secret' };
const compose = readCompose(at('compose.yaml'), operatorEnv);
const services = compose.services;
const nodes = Object.entries(services).filter(([, service]) => service.build === '.');

const bounded = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`timed out: ${what}`)), ms))]);

describe('Dockerfile', () => {
  it('runs node dist/server.mjs as the non-root user node on a glibc Node 20 image, SIGTERM to node itself', () => {
    for (const stage of stages) expect(stage.from).toMatch(/^node:20-[a-z]+-slim$/); // glibc: @roamhq/wrtc's binary needs it
    const users = instructions(final, 'USER');
    expect(users.map((u) => u.args)).toEqual(['node']);
    const cmd = instructions(final, 'CMD');
    expect(cmd).toHaveLength(1);
    expect(users[0].line).toBeLessThan(cmd[0].line);
    // Exec form: node is PID 1 and gets the STOPSIGNAL itself (a shell would swallow it).
    expect(execForm(cmd[0].args)).toEqual(['node', 'dist/server.mjs']);
    expect(instructions(final, 'ENTRYPOINT')).toEqual([]);
    expect(instructions(final, 'STOPSIGNAL').map((s) => s.args)).toEqual(['SIGTERM']);
    expect(imageEnv.CL5_HOST).toBe('0.0.0.0');
    expect(instructions(final, 'EXPOSE').map((e) => e.args)).toEqual([imageEnv.CL5_PORT]);
    expect(instructions(final, 'HEALTHCHECK')).toHaveLength(1);
  });

  it('copies only files that exist after npm run build, and .dockerignore lets each of them into the build context', () => {
    const fromContext = copies(final).filter((c) => !c.from);
    const sources = [...copies(stages[0]), ...fromContext].flatMap((c) => c.sources);
    expect(sources).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', 'dist/server.mjs', 'dist/relay.mjs', 'dist/cloudlink5.js']));
    for (const source of sources) {
      expect(existsSync(at(source)), `${source} exists`).toBe(true);
      expect(inContext(at('.dockerignore'), source), `${source} is in the build context`).toBe(true);
    }
    for (const left of ['node_modules/ws/package.json', 'src/server/main.ts', 'test/deploy/container.test.ts', '.git/HEAD', 'tmp/x'])
      expect(inContext(at('.dockerignore'), left), `${left} stays out of the build context`).toBe(false);
  });

  it('installs production dependencies that cover every package dist/server.mjs and dist/relay.mjs import, and copies them into the final stage', () => {
    const deps = stages.find((s) => s.name && copies(final).some((c) => c.from === s.name));
    expect(deps, 'a stage the final one copies node_modules from').toBeDefined();
    expect(copies(deps!).flatMap((c) => c.sources)).toEqual(['package.json', 'package-lock.json']);
    const install = instructions(deps!, 'RUN').map((r) => r.args);
    expect(install.some((run) => /^npm ci\b.*--omit=dev/.test(run))).toBe(true);
    expect(copies(final).find((c) => c.from === deps!.name)?.sources).toEqual(['/app/node_modules']);

    const bundle = readFileSync(at('dist/server.mjs'), 'utf8') + readFileSync(at('dist/relay.mjs'), 'utf8');
    const specifiers = [...bundle.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)["']([^"']+)["']/g)].map((m) => m[1]);
    const packageOf = (specifier: string) =>
      specifier
        .split('/')
        .slice(0, specifier.startsWith('@') ? 2 : 1)
        .join('/');
    const packages = new Set(specifiers.filter((s) => !s.startsWith('node:') && !s.startsWith('.')).map(packageOf));
    expect(packages).toContain('ws');
    expect(packages).toContain('@roamhq/wrtc'); // imported by the relay process, for relay lobbies
    const pkg = JSON.parse(readFileSync(at('package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const lock = JSON.parse(readFileSync(at('package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
    for (const name of packages) {
      expect(Object.keys(pkg.dependencies), `${name} is a production dependency`).toContain(name);
      expect(lock.packages[`node_modules/${name}`]?.dev, `${name} is locked outside the dev tree`).toBeUndefined();
    }
    // npm ci --omit=dev keeps optional dependencies: wrtc's prebuilt binary for the image's platform.
    expect(lock.packages['node_modules/@roamhq/wrtc-linux-x64']).toMatchObject({ optional: true });
  });
});

describe('compose.yaml', () => {
  it('has two CL5 nodes built from the Dockerfile, Redis and coturn; nodes publish the image port on loopback only', () => {
    expect(Object.keys(services).sort()).toEqual(['cl5-a', 'cl5-b', 'coturn', 'redis']);
    expect(nodes.map(([name]) => name)).toEqual(['cl5-a', 'cl5-b']);
    const hostPorts = nodes.map(([, node]) => {
      expect(node.ports).toHaveLength(1);
      const [ip, host, container] = node.ports![0].split(':');
      expect(ip).toBe('127.0.0.1');
      expect(container).toBe(imageEnv.CL5_PORT);
      return host;
    });
    expect(new Set(hostPorts).size).toBe(2);
    expect(services.redis.image).toMatch(/^redis:7/);
    expect(services.coturn.image).toMatch(/^coturn\/coturn:/);
  });

  it("sets only settings the server reads, every one of them but the image's host and port, the same on both nodes", () => {
    const [[, a], [, b]] = nodes;
    expect(a.environment).toEqual(b.environment);
    const names = Object.keys(a.environment ?? {});
    for (const name of names) expect(serverEnv, `${name} is read by src/server/main.ts`).toContain(name);
    expect(names.sort()).toEqual(serverEnv.filter((name) => !(name in imageEnv)).sort());
  });

  it("trusts the proxy's X-Forwarded-For, so the per-address limits count each player (their defaults)", () => {
    const env = nodes[0][1].environment!;
    expect(env.CL5_TRUST_PROXY).toBe('1');
    for (const name of ['CL5_MAX_CONNECTIONS_PER_ADDRESS', 'CL5_RATE_LIMIT_PER_ADDRESS', 'CL5_PASSWORD_GUESSES_PER_ADDRESS']) expect(env[name], name).toBe('');
    // Only the proxy can reach the nodes (else a client could write the header itself).
    for (const [, node] of nodes) for (const port of node.ports ?? []) expect(String(port)).toMatch(/^127\.0\.0\.1:/);
  });

  it('points the nodes at the redis service, and shares one TURN secret with coturn, which checks it', () => {
    const env = nodes[0][1].environment!;
    expect(new URL(env.CL5_REDIS_URL).hostname).toBe('redis');
    expect(env.CL5_TURN_URL).toBe(operatorEnv.CL5_TURN_URL);
    expect(env.CL5_TURN_SECRET).toBe(operatorEnv.CL5_TURN_SECRET);
    const turn = services.coturn.command!;
    expect(turn).toContain('--use-auth-secret');
    expect(turn).toContain(`--static-auth-secret=${operatorEnv.CL5_TURN_SECRET}`);
    expect(turn).toContain(`--listening-port=${new URL(operatorEnv.CL5_TURN_URL.replace(/^turn:/, 'turn://')).port}`);
    // Every flag is one the installed coturn knows.
    const help = execFileSync('sh', ['-c', 'turnserver -h 2>&1 || true'], { encoding: 'utf8' });
    for (const flag of turn.map((arg) => arg.split('=')[0])) expect(help, `turnserver knows ${flag}`).toContain(flag);
  });

  it('gives a draining node more time than it takes before Docker kills it', () => {
    for (const [, node] of nodes) {
      const grace = /^(\d+)s$/.exec(String(node.stop_grace_period))?.[1];
      // main.ts exits at the latest 5 s after the drain timeout.
      expect(Number(grace)).toBeGreaterThan(Number(node.environment!.CL5_DRAIN_TIMEOUT) + 5);
    }
  });

  it('refuses to start without the TURN settings an operator must choose', () => {
    expect(() => readCompose(at('compose.yaml'), {})).toThrow(/CL5_TURN_(URL|SECRET) is missing/);
    expect(() => readCompose(at('compose.yaml'), { ...operatorEnv, CL5_TURN_SECRET: '' })).toThrow(/CL5_TURN_SECRET is missing/);
  });
});

describe('the image command with the compose environment', () => {
  // The final stage's files laid out as the image would hold them (node_modules linked, not reinstalled),
  // and a real redis-server standing in for the compose file's `redis` service.
  const app = mkdtempSync(path.join(tmpdir(), 'cl5-image-'));
  let redis: RedisServer;
  beforeAll(async () => {
    for (const { from, sources, destination } of copies(final)) {
      if (from) {
        symlinkSync(at('node_modules'), path.join(app, 'node_modules'));
        continue;
      }
      const into = path.join(app, destination);
      mkdirSync(into, { recursive: true });
      for (const source of sources) cpSync(at(source), path.join(into, path.basename(source)));
    }
    redis = await startRedis();
  }, 300_000);
  afterAll(async () => {
    await redis?.stop();
    rmSync(app, { recursive: true, force: true });
  });

  /** One compose node run as the image runs it: its environment, the redis service swapped for ours, host 127.0.0.1, a free port. */
  async function startNode(service: ComposeService) {
    const port = await freeTcpPort();
    const composeEnv = { ...service.environment! };
    const redisUrl = new URL(composeEnv.CL5_REDIS_URL);
    expect(redisUrl.hostname).toBe('redis');
    composeEnv.CL5_REDIS_URL = redis.url;
    const env = { PATH: process.env.PATH, ...imageEnv, ...composeEnv, CL5_HOST: '127.0.0.1', CL5_PORT: String(port) };
    const [command, ...args] = execForm(instructions(final, 'CMD')[0].args);
    expect(command).toBe('node');
    const child = spawn(process.execPath, args, { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk) => (output += String(chunk)));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const running = () => child.exitCode === null && child.signalCode === null;
    await waitFor(() => (output.includes('Server URL') || !running() ? true : undefined), 'the banner');
    expect(running(), `the node runs (output: ${output})`).toBe(true);
    return { child, env, exited, running, base: `http://127.0.0.1:${port}`, ws: `ws://127.0.0.1:${port}/?ugi=deploy` };
  }

  it('starts both nodes, sharing lobbies through Redis: /healthz, /readyz, the extension, TURN from env; the HEALTHCHECK passes; SIGTERM stops them', async () => {
    const started = [];
    try {
      for (const [, service] of nodes) started.push(await startNode(service));
      const [a, b] = started;
      for (const node of started) {
        expect(await (await fetch(`${node.base}/healthz`)).json()).toMatchObject({ ok: true });
        expect(await (await fetch(`${node.base}/readyz`)).json()).toEqual({ ready: true });
        expect((await fetch(`${node.base}/cloudlink5.js`)).status).toBe(200);
      }

      const ann = await RawClient.open(a.ws);
      const bob = await RawClient.open(b.ws);
      const init = await ann.request('INIT', { username: 'ann' }, 'INIT_OK');
      expect(init.payload).toMatchObject({ ice_servers: [{ urls: [operatorEnv.CL5_TURN_URL] }] });
      await bob.request('INIT', { username: 'bob' }, 'INIT_OK');
      const lobby = { name: 'room', max_players: 2, password: '', locked: false, enable_relay: false };
      expect((await ann.request('CREATE_LOBBY', lobby, 'CREATE_ACK')).payload).toBe('ok');
      expect((await bob.request('JOIN_LOBBY', { name: 'room', password: '' }, 'JOIN_ACK')).payload).toBe('ok');
      expect((await ann.next('NEW_PEER', 5000)).payload).toMatchObject({ username: 'bob' });
      ann.close();
      bob.close();

      const healthcheck = execForm(instructions(final, 'HEALTHCHECK')[0].args.replace(/^.*?\bCMD\s+/, ''));
      const probe = (env: NodeJS.ProcessEnv) =>
        new Promise<number | null>((resolve) => {
          const child = spawn(process.execPath, healthcheck.slice(1), { env, stdio: 'ignore' });
          child.once('exit', resolve);
        });
      expect(await bounded(probe(a.env), 10_000, 'the healthcheck')).toBe(0);

      for (const node of started) node.child.kill('SIGTERM');
      for (const node of started) expect(await bounded(node.exited, 15_000, 'exit after SIGTERM')).toBe(0);
      expect(await bounded(probe(a.env), 10_000, 'the healthcheck of a stopped node')).toBe(1);
    } finally {
      for (const node of started) if (node.running()) node.child.kill('SIGKILL');
    }
  });
});

describe('docs/deploy.md', () => {
  it('documents every flag and environment variable of the server, and every service of the compose file', () => {
    const doc = readFileSync(at('docs/deploy.md'), 'utf8');
    for (const name of [...serverFlags, ...serverEnv, ...Object.keys(services)]) expect(doc, `docs/deploy.md mentions ${name}`).toContain(name);
  });
});
