/**
 * A Server-Sent Events connection over a user's durable stream: resumes after `Last-Event-ID`,
 * sends what arrives in order, keeps the connection alive, and ends cleanly on shutdown.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { StreamBatch, StreamCursor, StreamEvent, StreamHub } from './stream-hub.ts';

const HEARTBEAT_MS = 15_000;

export interface SseOptions {
  hub: StreamHub;
  userId: string;
  /** Events sent first, without ids (a snapshot of the present), when the client is not resuming. */
  initial?: () => Promise<{ type: string; data: Record<string, unknown> }[]>;
  /** Which of the stream's events this connection sends (e.g. a supervisor's workgroups); all when absent. */
  filter?: (event: StreamEvent) => boolean;
  open: Set<() => void>;
}

function frame(event: { id?: number; type: string; data: unknown }): string {
  const id = event.id === undefined ? '' : `id: ${event.id}\n`;
  return `${id}event: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`;
}

/** How soon a connection reads again while committed events wait for an older transaction; doubled up to the maximum while they keep waiting. */
const HELD_BACK_RETRY_MS = 20;
const HELD_BACK_RETRY_MAX_MS = 1_000;

export async function serveEventStream(request: FastifyRequest, reply: FastifyReply, options: SseOptions): Promise<void> {
  const header = request.headers['last-event-id'];
  const query = request.query as Record<string, unknown>;
  const resumeFrom = Number(Array.isArray(header) ? header[0] : (header ?? query.lastEventId ?? NaN));
  const resuming = Number.isInteger(resumeFrom) && resumeFrom >= 0;
  let cursor: StreamCursor = resuming ? await options.hub.cursorAfter(options.userId, resumeFrom) : await options.hub.latestCursor(options.userId);

  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  raw.write(`retry: 2000\n\n`);

  let closed = false;
  let reading: Promise<void> | null = null;
  let again = false;
  let retry: NodeJS.Timeout | null = null;
  let retryMs = HELD_BACK_RETRY_MS;
  const pump = () => {
    if (closed) return;
    if (reading) {
      again = true;
      return;
    }
    if (retry) clearTimeout(retry);
    retry = null;
    reading = (async () => {
      let batch: StreamBatch;
      do {
        batch = await options.hub.read(options.userId, cursor);
        for (const event of batch.events) {
          if (closed) return;
          if (!options.filter || options.filter(event)) {
            raw.write(frame({ id: event.id, type: event.type, data: { ...event.data, at: event.at.toISOString() } }));
          }
          cursor = { tx: event.tx, id: event.id, afterId: 0 };
        }
      } while (batch.more && !closed);
      // Events wait for an older transaction: nothing will say when it ends, so look again shortly.
      if (batch.heldBack && !closed) {
        retryMs = batch.events.length > 0 ? HELD_BACK_RETRY_MS : Math.min(retryMs * 2, HELD_BACK_RETRY_MAX_MS);
        retry = setTimeout(pump, retryMs);
      } else {
        retryMs = HELD_BACK_RETRY_MS;
      }
    })()
      .catch((error: unknown) => request.log.warn({ err: error }, 'event stream read failed'))
      .finally(() => {
        reading = null;
        if (again) {
          again = false;
          pump();
        }
      });
  };

  const unsubscribe = options.hub.subscribe(options.userId, pump);
  // The heartbeat also reads the stream: a notification lost on the way (Redis pub/sub keeps none) delays an event by one beat at most.
  const heartbeat = setInterval(() => {
    raw.write(`: keep-alive\n\n`);
    pump();
  }, HEARTBEAT_MS);
  const close = () => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    if (retry) clearTimeout(retry);
    unsubscribe();
    options.open.delete(close);
    raw.end();
  };
  options.open.add(close);
  request.raw.on('close', close);

  if (!resuming && options.initial) {
    for (const event of await options.initial()) raw.write(frame(event));
  }
  pump();
}
