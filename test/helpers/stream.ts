// A streamed GET (log follow) read as it comes: the text so far and whether it has ended.
import https from 'node:https';
import type { Endpoint } from './kube-http.js';

export interface OpenStream {
  status: number;
  text(): string;
  ended(): boolean;
  close(): void;
}

export function openWatchlessStream(ep: Endpoint, path: string): Promise<OpenStream> {
  return new Promise((resolve, reject) => {
    const req = https.get(new URL(path, ep.url), { ca: ep.ca, headers: { Authorization: `Bearer ${ep.token}` } }, (res) => {
      let text = '';
      let ended = false;
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => (ended = true));
      res.on('close', () => (ended = true));
      resolve({ status: res.statusCode ?? 0, text: () => text, ended: () => ended, close: () => req.destroy() });
    });
    req.on('error', reject);
  });
}
