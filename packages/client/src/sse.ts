/**
 * A Server-Sent Events parser (the WHATWG "event stream" format) that works on any chunking of the bytes: a
 * field, a line or a multi-byte character may be split across chunks.
 */

/** One dispatched event. `event` is `message` when the stream named none. */
export interface SseMessage {
  event: string;
  data: string;
  id?: string;
  retry?: number;
}

/** Incremental parser: feed it text with `push`, call `end` when the stream closes. */
export class SseParser {
  private buffer = '';
  private eventName = '';
  private dataLines: string[] = [];
  private lastId: string | undefined;
  private retry: number | undefined;
  private hasData = false;

  /** Parses the text of one chunk and returns the events it completed. */
  push(text: string): SseMessage[] {
    this.buffer += text;
    const out: SseMessage[] = [];
    // Lines end with CRLF, LF or CR. A CR at the very end may be the first half of a CRLF: keep it for later.
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const ch = this.buffer[i];
      if (ch !== '\n' && ch !== '\r') {
        continue;
      }
      if (ch === '\r' && i === this.buffer.length - 1) {
        break;
      }
      const line = this.buffer.slice(start, i);
      if (ch === '\r' && this.buffer[i + 1] === '\n') {
        i++;
      }
      start = i + 1;
      const message = this.line(line);
      if (message) {
        out.push(message);
      }
    }
    this.buffer = this.buffer.slice(start);
    return out;
  }

  /** The stream ended: an event without its closing blank line is dropped, as the standard says. */
  end(): SseMessage[] {
    // A CR held back at the end of the last chunk was a complete line ending after all.
    const pending = this.buffer.endsWith('\r') ? this.line(this.buffer.slice(0, -1)) : null;
    this.buffer = '';
    this.reset();
    return pending ? [pending] : [];
  }

  private reset(): void {
    this.eventName = '';
    this.dataLines = [];
    this.hasData = false;
    this.retry = undefined;
  }

  private line(line: string): SseMessage | null {
    if (line === '') {
      if (!this.hasData) {
        this.reset();
        return null;
      }
      const message: SseMessage = { event: this.eventName || 'message', data: this.dataLines.join('\n') };
      if (this.lastId !== undefined) {
        message.id = this.lastId;
      }
      if (this.retry !== undefined) {
        message.retry = this.retry;
      }
      this.reset();
      return message;
    }
    if (line.startsWith(':')) {
      return null; // a comment (keep-alive)
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) {
      value = value.slice(1);
    }
    switch (field) {
      case 'event':
        this.eventName = value;
        break;
      case 'data':
        this.dataLines.push(value);
        this.hasData = true;
        break;
      case 'id':
        if (!value.includes('\0')) {
          this.lastId = value;
        }
        break;
      case 'retry':
        if (/^\d+$/.test(value)) {
          this.retry = Number(value);
        }
        break;
      default:
        break; // unknown fields are ignored
    }
    return null;
  }
}

/**
 * Reads an event stream body and yields its events. Stops (and cancels the body) when the consumer stops early;
 * an aborted fetch makes the read reject with the abort error, which is passed on.
 */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const parser = new SseParser();
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        finished = true;
        const rest = decoder.decode();
        yield* parser.push(rest);
        yield* parser.end();
        return;
      }
      yield* parser.push(decoder.decode(value, { stream: true }));
    }
  } finally {
    if (!finished) {
      // The consumer stopped early or the read failed: release the connection. A failure to cancel changes nothing.
      await reader.cancel().catch(() => undefined);
    }
    reader.releaseLock();
  }
}
