import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Prometheus metrics of one app instance (the metric names of the v1 API; `path` is the route template). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'contextpilot_' });
  const requests = new Counter({
    name: 'contextpilot_http_requests_total',
    help: 'HTTP requests by method, route template and status',
    labelNames: ['method', 'path', 'status'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'contextpilot_http_request_duration_seconds',
    help: 'HTTP request duration by method and route template',
    labelNames: ['method', 'path'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const active = new Gauge({
    name: 'contextpilot_http_active_requests',
    help: 'Requests in flight',
    registers: [registry],
  });
  const aiRequests = new Counter({
    name: 'contextpilot_ai_requests_total',
    help: 'AI provider calls by provider and outcome',
    labelNames: ['provider', 'status'],
    registers: [registry],
  });
  const aiDuration = new Histogram({
    name: 'contextpilot_ai_request_duration_seconds',
    help: 'AI provider call duration',
    labelNames: ['provider'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30],
    registers: [registry],
  });
  // Counted in a plain map and handed to the counter when metrics are read: most requests record an event, and
  // prom-client hashes the labels on every increment.
  const pendingSecurityEvents = new Map<string, { event: string; outcome: string; count: number }>();
  new Counter({
    name: 'contextpilot_security_events_total',
    help: 'Security events by event and outcome',
    labelNames: ['event', 'outcome'],
    registers: [registry],
    collect() {
      for (const entry of pendingSecurityEvents.values()) {
        if (entry.count > 0) {
          this.inc({ event: entry.event, outcome: entry.outcome }, entry.count);
          entry.count = 0;
        }
      }
    },
  });

  return {
    registry,
    http: {
      started: () => active.inc(),
      finished(method: string, path: string, status: number, seconds: number) {
        active.dec();
        requests.inc({ method, path, status: String(status) });
        duration.observe({ method, path }, seconds);
      },
    },
    recordAi(provider: string | null, status: 'success' | 'client_error' | 'server_error', seconds: number) {
      const label = provider ?? 'unknown';
      aiRequests.inc({ provider: label, status });
      aiDuration.observe({ provider: label }, seconds);
    },
    recordSecurityEvent(event: string, outcome: string) {
      const key = `${event}\n${outcome}`;
      const entry = pendingSecurityEvents.get(key);
      if (entry === undefined) {
        pendingSecurityEvents.set(key, { event, outcome, count: 1 });
      } else {
        entry.count++;
      }
    },
    render: () => registry.metrics(),
    contentType: registry.contentType,
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
export type HttpMetrics = Metrics['http'];
