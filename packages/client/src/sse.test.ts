import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { readSse, SseParser, type SseMessage } from './sse.js';

function parseAll(chunks: string[]): SseMessage[] {
  const parser = new SseParser();
  const out = chunks.flatMap((c) => parser.push(c));
  return [...out, ...parser.end()];
}

function streamOf(chunks: (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const c of chunks) {
        controller.enqueue(typeof c === 'string' ? encoder.encode(c) : c);
      }
      controller.close();
    },
  });
}

describe('SseParser', () => {
  it('parses named events with JSON data', () => {
    const text = 'event: meta\ndata: {"a":1}\n\nevent: delta\ndata: {"text":"hi"}\n\n';
    expect(parseAll([text])).toEqual([
      { event: 'meta', data: '{"a":1}' },
      { event: 'delta', data: '{"text":"hi"}' },
    ]);
  });

  it('joins multi-line data, defaults the event name and ignores comments', () => {
    expect(parseAll([': keep-alive\n\ndata: one\ndata: two\n\n'])).toEqual([{ event: 'message', data: 'one\ntwo' }]);
  });

  it('accepts CRLF and CR line endings, even when a CRLF is split across chunks', () => {
    expect(parseAll(['event: a\r', '\ndata: x\r\n\r', '\nevent: b\rdata: y\r\r'])).toEqual([
      { event: 'a', data: 'x' },
      { event: 'b', data: 'y' },
    ]);
  });

  it('drops an event that has no closing blank line', () => {
    expect(parseAll(['event: done\ndata: {}\n'])).toEqual([]);
  });

  it('keeps id and retry fields and strips only one leading space', () => {
    expect(parseAll(['id: 7\nretry: 100\ndata:  two spaces\n\n'])).toEqual([
      { event: 'message', data: ' two spaces', id: '7', retry: 100 },
    ]);
  });

  it('gives the same events for any chunking of the text', () => {
    const text =
      'event: meta\ndata: {"x":"é✓"}\n\n: c\nevent: delta\ndata: {"text":"a\\nb"}\r\n\r\nevent: done\ndata: {}\n\n';
    const expected = parseAll([text]);
    fc.assert(
      fc.property(fc.array(fc.nat({ max: text.length }), { maxLength: 10 }), (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const chunks: string[] = [];
        let last = 0;
        for (const p of points) {
          chunks.push(text.slice(last, p));
          last = p;
        }
        chunks.push(text.slice(last));
        expect(parseAll(chunks)).toEqual(expected);
      }),
    );
  });
});

describe('readSse', () => {
  it('decodes multi-byte characters split across chunks', async () => {
    const bytes = new TextEncoder().encode('data: ✓\n\n');
    const events: SseMessage[] = [];
    for await (const e of readSse(streamOf([bytes.slice(0, 7), bytes.slice(7)]))) {
      events.push(e);
    }
    expect(events).toEqual([{ event: 'message', data: '✓' }]);
  });

  it('cancels the body when the consumer stops early', async () => {
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new TextEncoder().encode('data: x\n\n'));
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const _event of readSse(body)) {
      break;
    }
    expect(cancelled).toBe(true);
  });
});
