import { SingleBar } from 'cli-progress';

/** A progress bar on stderr (a line every 5 seconds off a terminal), so stdout stays clean for results. */
export function progressBar(label: string, unit: string): SingleBar {
  return new SingleBar({
    format: `${label.padEnd(10)} [{bar}] {percentage}% | {value}/{total} ${unit} | {duration_formatted}`,
    stream: process.stderr,
    barsize: 30,
    hideCursor: process.stderr.isTTY === true,
    noTTYOutput: true,
    notTTYSchedule: 5000,
    etaBuffer: 50,
  });
}

/**
 * A fetch that sends a byte body in 64 KiB pieces and reports each piece as the connection takes it (pieces are
 * pulled only when the socket has room, so the count follows the upload).
 */
export function uploadCountingFetch(onSent: (sent: number, total: number) => void): typeof fetch {
  return (input, init) => {
    const body = init?.body;
    if (!(body instanceof Uint8Array)) {
      return fetch(input, init);
    }
    const total = body.byteLength;
    let offset = 0;
    const stream = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          if (offset >= total) {
            controller.close();
            return;
          }
          const end = Math.min(total, offset + 64 * 1024);
          controller.enqueue(body.subarray(offset, end));
          offset = end;
          onSent(offset, total);
        },
      },
      { highWaterMark: 0 },
    );
    // `duplex` is required by Node's fetch for a stream body; the DOM typings do not know it yet.
    return fetch(input, { ...init, body: stream, duplex: 'half' } as RequestInit);
  };
}
