import { Writable } from 'node:stream';

import { pino, stdTimeFunctions, type Logger } from 'pino';

import type { Config } from './config.js';

/** Header names whose values never reach a log line. */
export const REDACTED_PATHS = [
  'req.headers["x-api-key"]',
  'req.headers.authorization',
  'req.headers["x-request-signature"]',
  'req.headers.cookie',
  'headers["x-api-key"]',
  'headers.authorization',
  'apiKey',
  'secret',
];

/** Renders pino's JSON lines as `time level message key=value…` for CONTEXTPILOT_LOG_FORMAT=text. */
function textStream(out: NodeJS.WritableStream): Writable {
  const levels: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      const { time, level, msg, ...rest } = JSON.parse(chunk.toString()) as Record<string, unknown>;
      const extra = Object.entries(rest)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(' ');
      out.write(`${String(time)} ${levels[Number(level)] ?? String(level)} ${String(msg)} ${extra}\n`);
      callback();
    },
  });
}

/** JSON-lines logger with secrets redacted. */
export function createLogger(config: Pick<Config, 'log'>, destination: NodeJS.WritableStream = process.stdout): Logger {
  const options = {
    level: config.log.level,
    timestamp: stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_PATHS, censor: '[Redacted]' },
    base: { service: 'contextpilot' },
  };
  return pino(options, config.log.format === 'text' ? textStream(destination) : destination);
}
