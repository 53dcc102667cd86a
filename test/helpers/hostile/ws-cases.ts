// Hostile exec/attach/log websocket input: upgrade requests the server must refuse with a
// Status, malformed channel frames on accepted sessions, and frames that break the protocol.
import https from 'node:https';
import { remoteCommandPath } from '../channel-client.js';
import type { ApiTarget } from '../runs.js';
import type { Prng } from './prng.js';
import type { RawFrame } from './ws-raw.js';

/** An upgrade request (through the `ws` client) that must be refused with `code`. */
export interface RefusedUpgradeCase {
  what: string;
  path: string;
  protocols: string[];
  code: number;
}

/** Where the refusal cases aim: a running run (with stdin), a finished one, and their namespace. */
export interface WsFixture {
  namespace: string;
  running: string;
  finished: string;
}

const V5 = ['v5.channel.k8s.io'];

/** Bad subprotocols, bad options and bad targets of exec, attach and log upgrades. */
export function refusedUpgrades(rng: Prng, fx: WsFixture, token: string): RefusedUpgradeCase[] {
  const exec = (q: Parameters<typeof remoteCommandPath>[3], name = fx.running): string => remoteCommandPath(fx.namespace, name, 'exec', q);
  const attach = (q: Parameters<typeof remoteCommandPath>[3], name = fx.running): string => remoteCommandPath(fx.namespace, name, 'attach', q);
  const ok = { command: ['true'], stdout: true };
  const protocols = [['v9.channel.k8s.io'], ['spdy'], [`base64url.bearer.authorization.k8s.io.${Buffer.from(token).toString('base64url')}`], ['binary.k8s.io'],
    ['V5.CHANNEL.K8S.IO'], ['v5.channel.k8s.io.x'], ['channel.k8s.io.v5'], [rng.string('abcdefghijklmnopqrstuvwxyz.', 30)], ['x', 'y', 'z']];
  const out: RefusedUpgradeCase[] = [];
  for (const p of protocols) {
    out.push({ what: `exec offering ${p.join(',')}`, path: exec(ok), protocols: p, code: 400 });
    out.push({ what: `attach offering ${p.join(',')}`, path: attach({ stdout: true }), protocols: p, code: 400 });
  }
  const base = `/apis/kubeactions.dev/v1alpha1/namespaces/${fx.namespace}/workflowruns/${fx.running}`;
  const bad: [string, string, number][] = [
    ['exec without a command', exec({ stdout: true }), 400], ['exec without stdin, stdout or stderr', exec({ command: ['true'], stdout: false, stderr: false, stdin: false }), 400],
    ['attach without stdin, stdout or stderr', attach({ stdout: false }), 400],
    ['exec on a finished run', exec(ok, fx.finished), 400], ['attach on a finished run', attach({ stdout: true }, fx.finished), 400],
    ['exec on a missing run', exec(ok, 'no-such-run'), 404], ['attach on a missing run', attach({ stdout: true }, 'no-such-run'), 404],
    ['exec on a non-ASCII name', exec(ok, encodeURIComponent('ünï')), 404], ['exec on a 300-character name', exec(ok, 'x'.repeat(300)), 404],
    ['exec in a missing namespace', remoteCommandPath('no-such-namespace', fx.running, 'exec', ok), 404],
    ['exec on an unknown subresource', `${base}/bogus?command=true&stdout=true`, 404], ['exec on the collection', `/apis/kubeactions.dev/v1alpha1/namespaces/${fx.namespace}/workflowruns/exec`, 404],
  ];
  for (const [what, path, code] of bad) out.push({ what, path, protocols: V5, code });
  out.push({ what: 'log offering a channel protocol', path: `${base}/log?follow=true`, protocols: V5, code: 400 });
  out.push({ what: 'log with a bad option', path: `${base}/log?tailLines=x`, protocols: ['binary.k8s.io'], code: 400 });
  return out;
}

/** An upgrade request written by hand (headers `ws` will not send), refused with a 4xx Status. */
export interface HandUpgradeCase {
  what: string;
  method: string;
  headers: Record<string, string>;
}

/** Upgrade requests with a wrong method, version or key, or without credentials. */
export function handUpgrades(): HandUpgradeCase[] {
  const good = { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Protocol': 'v5.channel.k8s.io' };
  const without = (name: keyof typeof good): Record<string, string> => Object.fromEntries(Object.entries(good).filter(([k]) => k !== name));
  return [
    { what: 'POST with Upgrade: websocket', method: 'POST', headers: good }, { what: 'PUT with Upgrade: websocket', method: 'PUT', headers: good },
    { what: 'Sec-WebSocket-Version: abc', method: 'GET', headers: { ...good, 'Sec-WebSocket-Version': 'abc' } },
    { what: 'no Sec-WebSocket-Version', method: 'GET', headers: without('Sec-WebSocket-Version') }, { what: 'no Sec-WebSocket-Key', method: 'GET', headers: without('Sec-WebSocket-Key') },
    { what: 'a short Sec-WebSocket-Key', method: 'GET', headers: { ...good, 'Sec-WebSocket-Key': 'c2hvcnQ=' } },
    { what: 'a Sec-WebSocket-Key that is not base64', method: 'GET', headers: { ...good, 'Sec-WebSocket-Key': '!!!!!!!!!!!!!!!!!!!!!!==' } },
    { what: 'Upgrade: h2c', method: 'GET', headers: { ...good, Upgrade: 'h2c' } }, { what: 'Upgrade: SPDY/3.1', method: 'POST', headers: { ...good, Upgrade: 'SPDY/3.1' } },
    { what: 'Upgrade: websocket, garbage', method: 'GET', headers: { ...good, Upgrade: 'garbage' } },
  ];
}

/** Sends a hand-written upgrade request; resolves with the answer, or status 101 if it upgraded. */
export function sendHandUpgrade(target: ApiTarget, path: string, c: HandUpgradeCase, token: string | null = target.token): Promise<{ status: number; contentType: string; body: string }> {
  const headers = { ...c.headers, ...(token === null ? {} : { Authorization: `Bearer ${token}` }) };
  return new Promise((resolve, reject) => {
    const req = https.request(new URL(path, target.url), { method: c.method, headers, ca: target.ca, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'] ?? '', body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 101, contentType: '', body: '' });
    });
    req.on('error', reject);
    req.end();
  });
}

/** Binary and text frames an accepted v5 session must ignore (after them it still echoes stdin). */
export function ignoredFrames(rng: Prng): { what: string; data: Buffer | string; binary: boolean }[] {
  const out: { what: string; data: Buffer | string; binary: boolean }[] = [];
  for (let i = 0; i < 5; i++) out.push({ what: 'empty binary frame', data: Buffer.alloc(0), binary: true });
  for (let ch = 5; ch <= 254; ch++) out.push({ what: `channel ${ch}`, data: Buffer.concat([Buffer.from([ch]), rng.bytes(rng.int(0, 64))]), binary: true });
  for (const t of ['', '0hello', '4{"Width":10,"Height":10}', '\u0000', '1x', rng.string('abcdef0123456789', 40)]) {
    out.push({ what: `text frame ${JSON.stringify(t.slice(0, 20))}`, data: t, binary: false });
  }
  const resizes = ['{', '}', '{"Width":', '{"Width":"x","Height":"y"}', '{"Width":-1,"Height":-1}', '{"Width":1e309,"Height":1}', '[1,2]', 'null',
    '{"Width":99999999999,"Height":99999999999}', '{"__proto__":{"Width":5}}', '{{{{{{{{', '}'.repeat(5000), '{"Width":1}'.repeat(500), rng.string('{}[]":,', 200)];
  for (const r of resizes) out.push({ what: `resize ${JSON.stringify(r.slice(0, 30))}`, data: Buffer.concat([Buffer.from([4]), Buffer.from(r)]), binary: true });
  for (const payload of [[], [9], [1], [255]]) {
    out.push({ what: `close frame [255,${payload.join(',')}]`, data: Buffer.from([255, ...payload]), binary: true });
  }
  out.push({ what: 'a Status from the client', data: Buffer.concat([Buffer.from([3]), Buffer.from('{"status":"Failure"}')]), binary: true });
  return out;
}

/** Frames that break the websocket protocol itself, and the close codes each may get. */
export function protocolViolations(): { what: string; frames: RawFrame[]; codes: number[] }[] {
  const bin = (payload: Buffer): RawFrame => ({ first: 0x82, payload });
  return [
    { what: 'an unmasked frame', frames: [{ first: 0x82, payload: Buffer.from([0, 1]), unmasked: true }], codes: [1002] },
    { what: 'reserved opcode 0x3', frames: [{ first: 0x83, payload: Buffer.from([0]) }], codes: [1002] },
    { what: 'reserved opcode 0xB', frames: [{ first: 0x8b, payload: Buffer.from([0]) }], codes: [1002] },
    { what: 'RSV1 set without an extension', frames: [{ first: 0xc2, payload: Buffer.from([0]) }], codes: [1002] },
    { what: 'RSV3 set', frames: [{ first: 0x92, payload: Buffer.from([0]) }], codes: [1002] },
    { what: 'a fragmented ping', frames: [{ first: 0x09, payload: Buffer.from('x') }], codes: [1002] },
    { what: 'a ping of 126 bytes', frames: [{ first: 0x89, payload: Buffer.alloc(126) }], codes: [1002] },
    { what: 'a continuation without a start', frames: [{ first: 0x80, payload: Buffer.from([0]) }], codes: [1002] },
    { what: 'a new message inside a fragmented one', frames: [{ first: 0x02, payload: Buffer.from([0]) }, bin(Buffer.from([0]))], codes: [1002] },
    { what: 'a close frame with code 999', frames: [{ first: 0x88, payload: Buffer.from([0x03, 0xe7]) }], codes: [1002] },
    { what: 'a close frame with a 1-byte payload', frames: [{ first: 0x88, payload: Buffer.from([0x03]) }], codes: [1002] },
    { what: 'a close frame with invalid UTF-8', frames: [{ first: 0x88, payload: Buffer.from([0x03, 0xe8, 0xff, 0xfe]) }], codes: [1007] },
    { what: 'a text frame with invalid UTF-8', frames: [{ first: 0x81, payload: Buffer.from([0x30, 0xff, 0xfe]) }], codes: [1007] },
    { what: 'a declared length of 2^63', frames: [{ first: 0x82, payload: Buffer.alloc(0), declaredLength: 2n ** 63n }], codes: [1009, 1002] },
    { what: 'a declared length of 1 MiB + 1', frames: [{ first: 0x82, payload: Buffer.alloc(0), declaredLength: 1024n * 1024n + 1n }], codes: [1009] },
    { what: 'fragments adding up to over 1 MiB', frames: [{ first: 0x02, payload: Buffer.alloc(700 * 1024) }, { first: 0x80, payload: Buffer.alloc(700 * 1024) }], codes: [1009] },
  ];
}
