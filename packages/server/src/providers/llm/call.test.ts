import { describe, expect, it, vi } from 'vitest';

import { formatSeconds, shortRaw, startCall, statusError } from './call.js';

describe('formatSeconds', () => {
  it.each([
    [200, '0.2 seconds'],
    [1_000, '1 second'],
    [1_500, '1.5 seconds'],
    [60_000, '60 seconds'],
  ])('formats %i ms as %s', (ms, text) => {
    expect(formatSeconds(ms)).toBe(text);
  });
});

describe('shortRaw', () => {
  it('removes every occurrence of a secret, collapses whitespace and cuts long text', () => {
    expect(shortRaw('key sk-abc123 and\n\nsk-abc123 again', ['sk-abc123'])).toBe('key [redacted] and [redacted] again');
    const long = shortRaw('x'.repeat(1_000), []);
    expect(long).toHaveLength(301);
    expect(long.endsWith('…')).toBe(true);
  });

  it('ignores secrets too short to be keys (an empty Ollama key must not redact everything)', () => {
    expect(shortRaw('model not found', ['', 'ab'])).toBe('model not found');
  });
});

describe('statusError', () => {
  it.each([
    [401, undefined, 'rejected', 'OpenAI authentication failed.'],
    [404, 'gpt-4o', 'rejected', "OpenAI model 'gpt-4o' was not found"],
    [404, undefined, 'rejected', 'OpenAI resource was not found.'],
    [429, undefined, 'rejected', 'OpenAI rate limit or quota exceeded.'],
    [422, undefined, 'rejected', 'OpenAI request failed (422): raw text'],
    [502, undefined, 'unavailable', 'OpenAI request failed (502): raw text'],
  ] as const)('maps %i (model %s) to %s', (status, model, failure, start) => {
    const error = statusError('openai', status, 'raw text', model);
    expect(error.failure).toBe(failure);
    expect(error.message.startsWith(start)).toBe(true);
  });
});

describe('startCall', () => {
  it('times out after timeoutMs, and touch() pushes the deadline back', () => {
    vi.useFakeTimers();
    try {
      const call = startCall(100);
      vi.advanceTimersByTime(80);
      call.touch();
      vi.advanceTimersByTime(80);
      expect(call.signal.aborted).toBe(false);
      vi.advanceTimersByTime(30);
      expect(call.signal.aborted).toBe(true);
      expect(call.timedOut).toBe(true);
      expect(call.aborted).toBe(false);
      call.dispose();
    } finally {
      vi.useRealTimers();
    }
  });

  it("follows the caller's signal, and reports it as an abort rather than a timeout", () => {
    vi.useFakeTimers();
    try {
      const controller = new AbortController();
      const call = startCall(100, controller.signal);
      controller.abort();
      expect(call.signal.aborted).toBe(true);
      expect(call.aborted).toBe(true);
      vi.advanceTimersByTime(200);
      expect(call.timedOut).toBe(false);
      call.dispose();
    } finally {
      vi.useRealTimers();
    }
  });

  it('releases the call on dispose without calling it an abort or a timeout', () => {
    const controller = new AbortController();
    const call = startCall(100, controller.signal);
    call.dispose();
    expect(call.signal.aborted).toBe(true);
    expect(call.aborted).toBe(false);
    expect(call.timedOut).toBe(false);
  });
});
