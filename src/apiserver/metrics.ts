// The apiserver's own Prometheus metrics, named and labelled as kube-apiserver's
// (k8s.io/apiserver pkg/endpoints/metrics): requests by verb, resource and code, their
// duration, open long-running requests, requests in flight and those dropped over the in-flight
// limits. Served on GET /metrics.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ResourceInstall } from './handlers/types.js';
import { isLongRunning, isReadOnly, type RequestLabels, RequestLabeler } from './metrics-labels.js';
import type { RequestKind } from './max-in-flight.js';
import type { RequestInfo } from './request-info.js';

/** The Prometheus text exposition format, version 0.0.4. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** kube-apiserver's buckets for apiserver_request_duration_seconds. */
const DURATION_BUCKETS = [0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60];

const LABELS = ['verb', 'group', 'version', 'resource', 'subresource', 'scope', 'component'] as const;
type Label = (typeof LABELS)[number];

/** One label set's request counts by code, kept here and handed to the counter when scraped. */
interface Series {
  labels: RequestLabels;
  codes: Map<number, number>;
}

/** One request being served. */
export interface RequestRecord {
  /** Counts the request with its HTTP status code; called once, when its response ended. */
  finish(code: number): void;
}

export interface ApiServerMetricsOptions {
  /** Also export the process_* and nodejs_* metrics of this process (default true). */
  processMetrics?: boolean;
}

/** The metrics of one apiserver; other components may register theirs on `registry`. */
export class ApiServerMetrics {
  readonly registry = new Registry();
  readonly #labeler: RequestLabeler;
  readonly #series = new Map<string, Series>();
  readonly #duration: Histogram<Label>;
  readonly #longRunning: Gauge<Label>;
  readonly #inflight = { readOnly: 0, mutating: 0 };
  readonly #dropped: Counter<'request_kind'>;
  #watches = 0;

  constructor(installs: readonly ResourceInstall[], opts: ApiServerMetricsOptions = {}) {
    this.#labeler = new RequestLabeler(installs);
    const registers = [this.registry];
    const series = this.#series;
    // Counted in #series (a Map lookup per request rather than prom-client's label hashing).
    new Counter({
      name: 'apiserver_request_total', registers, labelNames: [...LABELS, 'code'],
      help: 'Counter of apiserver requests broken out for each verb, group, version, resource, subresource, scope, component, and HTTP response code.',
      collect() {
        this.reset();
        for (const s of series.values()) {
          for (const [code, n] of s.codes) this.inc({ ...s.labels, code: String(code) }, n);
        }
      },
    });
    this.#duration = new Histogram({
      name: 'apiserver_request_duration_seconds', registers, labelNames: LABELS, buckets: DURATION_BUCKETS,
      help: 'Response latency distribution in seconds for each verb, group, version, resource, subresource, scope and component.',
    });
    this.#longRunning = new Gauge({
      name: 'apiserver_longrunning_requests', registers, labelNames: LABELS,
      help: 'Gauge of all active long-running apiserver requests (watches, log streams, exec and attach sessions) broken out by verb, group, version, resource, scope and component.',
    });
    const inflight = this.#inflight;
    new Gauge({
      name: 'apiserver_current_inflight_requests', registers, labelNames: ['request_kind'],
      help: 'Number of requests (not long-running) this apiserver is serving now, per request kind.',
      collect() {
        this.set({ request_kind: 'readOnly' }, inflight.readOnly);
        this.set({ request_kind: 'mutating' }, inflight.mutating);
      },
    });
    this.#dropped = new Counter({
      name: 'apiserver_dropped_requests_total', registers, labelNames: ['request_kind'],
      help: 'Number of requests dropped with \'Try again later\' response (over --max-requests-inflight or --max-mutating-requests-inflight).',
    });
    if (opts.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** Counts a request refused with 429 by the in-flight limit of its kind. */
  dropped(kind: RequestKind): void {
    this.#dropped.inc({ request_kind: kind });
  }

  /** Open watch requests of this process. */
  get openWatches(): number {
    return this.#watches;
  }

  /** Starts counting a request; `contentType` is its request body's (for PATCH). */
  begin(info: RequestInfo, method: string, contentType: string | undefined): RequestRecord {
    const start = performance.now();
    if (isLongRunning(info)) return this.#beginLongRunning(info, method, contentType, start);
    const kind = isReadOnly(info) ? 'readOnly' : 'mutating';
    this.#inflight[kind]++;
    return {
      finish: (code) => {
        this.#inflight[kind]--;
        this.#record(this.#labeler.labels(info, method, contentType, code), code, start);
      },
    };
  }

  #beginLongRunning(info: RequestInfo, method: string, contentType: string | undefined, start: number): RequestRecord {
    const labels = this.#labeler.labels(info, method, contentType);
    const watch = info.verb === 'watch';
    this.#longRunning.inc(labels);
    if (watch) this.#watches++;
    return {
      finish: (code) => {
        this.#longRunning.dec(labels);
        if (watch) this.#watches--;
        this.#record(labels, code, start);
      },
    };
  }

  #record(labels: RequestLabels, code: number, start: number): void {
    const key = `${labels.verb} ${labels.group} ${labels.version} ${labels.resource} ${labels.subresource} ${labels.scope}`;
    let s = this.#series.get(key);
    if (!s) this.#series.set(key, (s = { labels, codes: new Map() }));
    s.codes.set(code, (s.codes.get(code) ?? 0) + 1);
    this.#duration.observe(s.labels, (performance.now() - start) / 1000);
  }

  /** Every metric in the Prometheus text format (METRICS_CONTENT_TYPE). */
  render(): Promise<string> {
    return this.registry.metrics();
  }
}
