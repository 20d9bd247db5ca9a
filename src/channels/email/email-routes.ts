// The email channel's HTTP API:
//   GET  /api/email/messages/:id           what email adds to a message: addresses, threading headers,
//                                          the sanitized HTML body, every header, the attachments' list
//   GET  /api/email/messages/:id/raw       the message as received (supervisors and admins)
//   GET  /api/email/attachments/:id        an attachment's content, always as a download
//   GET  /api/email/quarantine             messages that could not be parsed or were too large
//   POST /api/interactions/:id/email-reply an agent's reply with attachments
// Agents see what belongs to interactions they hold, held or are targeted by.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { assertInteractionId, findInteraction } from '../../engine/interaction-queries.ts';
import { SwitchboardError } from '../../errors.ts';
import type { HttpContext } from '../../http/context.ts';
import { assertMayRead, MAX_BODY_CHARACTERS } from '../../http/routes/interactions.ts';
import { schemaOf } from '../../http/validation.ts';
import type { EmailDirectory } from './email-directory.ts';
import { attachmentsOf, type OutboundAttachment } from './email-reply.ts';

const idParams = z.object({ id: z.string() });
const quarantineQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }).strict();
const replyBody = z
  .object({
    body: z.string().min(1).max(MAX_BODY_CHARACTERS).optional(),
    /** A response from the library, as for any reply. */
    responseId: z.string().min(1).max(64).optional(),
    attachments: z
      .array(
        z
          .object({
            filename: z.string().min(1).max(255),
            contentType: z.string().regex(/^[\w.+-]+\/[\w.+-]+$/, 'a MIME type like application/pdf').default('application/octet-stream'),
            /** The content, base64-encoded. */
            content: z.string().regex(/^[A-Za-z0-9+/=\s]*$/, 'base64'),
          })
          .strict(),
      )
      .max(20)
      .default([]),
  })
  .strict()
  .refine((reply) => reply.body !== undefined || reply.responseId !== undefined, { message: 'body or responseId is required', path: ['body'] });

interface EmailMessageRow {
  message_id: string;
  interaction_id: string;
  direction: string;
  mailbox_id: string | null;
  rfc_message_id: string | null;
  in_reply_to: string | null;
  references: string[];
  addresses: Record<string, unknown>;
  subject: string | null;
  html: string | null;
  headers: Record<string, string[]>;
  raw_truncated: boolean;
  size: number;
  created_at: Date;
}

export function emailRoutes(directory: EmailDirectory) {
  return (app: FastifyInstance, context: HttpContext): void => {
    const { sql } = context.database;
    const readers = { roles: ['agent', 'supervisor', 'admin'] as const };

    const messageOf = async (id: string, caller: Parameters<typeof assertMayRead>[0]): Promise<EmailMessageRow> => {
      if (!isUuid(id)) throw new SwitchboardError('UNKNOWN_MESSAGE');
      const [row] = await sql<EmailMessageRow[]>`
        select message_id, interaction_id, direction, mailbox_id, rfc_message_id, in_reply_to, "references", addresses, subject, html,
               headers, raw_truncated, size, created_at
        from email_messages where message_id = ${id}`;
      if (!row) throw new SwitchboardError('UNKNOWN_MESSAGE');
      assertMayRead(caller, await findInteraction(sql, row.interaction_id));
      return row;
    };

    app.get<{ Params: { id: string } }>(
      '/api/email/messages/:id',
      { config: readers, schema: { tags: ['email'], summary: 'Email details of a message', params: schemaOf(idParams) } },
      async (request) => {
        const row = await messageOf(request.params.id, request.caller);
        const attachments = await sql<
          { id: string; filename: string | null; content_type: string; size: number; drop_reason: string | null; content_id: string | null; inline: boolean }[]
        >`select id, filename, content_type, size, drop_reason, content_id, inline from email_attachments where message_id = ${row.message_id} order by position`;
        return {
          messageId: row.message_id,
          interactionId: row.interaction_id,
          direction: row.direction,
          mailbox: row.mailbox_id,
          rfcMessageId: row.rfc_message_id,
          inReplyTo: row.in_reply_to,
          references: row.references,
          addresses: row.addresses,
          subject: row.subject,
          html: row.html,
          headers: row.headers,
          size: row.size,
          rawTruncated: row.raw_truncated,
          createdAt: row.created_at.toISOString(),
          attachments: attachments.map((a) => ({
            id: a.id,
            filename: a.filename,
            contentType: a.content_type,
            size: a.size,
            available: a.drop_reason === null,
            dropReason: a.drop_reason,
            contentId: a.content_id,
            inline: a.inline,
          })),
        };
      },
    );

    app.get<{ Params: { id: string } }>(
      '/api/email/messages/:id/raw',
      { config: { roles: ['supervisor', 'admin'] }, schema: { tags: ['email'], summary: 'A message as received', params: schemaOf(idParams) } },
      async (request, reply) => {
        const row = await messageOf(request.params.id, request.caller);
        const [raw] = await sql<{ raw: Buffer | null }[]>`select raw from email_messages where message_id = ${row.message_id}`;
        if (!raw?.raw) throw new SwitchboardError('NOT_FOUND', 'no raw source is kept for this message');
        return reply
          .header('content-type', 'message/rfc822')
          .header('content-disposition', `attachment; filename="${row.message_id}.eml"`)
          .header('x-content-type-options', 'nosniff')
          .send(raw.raw);
      },
    );

    app.get<{ Params: { id: string } }>(
      '/api/email/attachments/:id',
      { config: readers, schema: { tags: ['email'], summary: 'An attachment', params: schemaOf(idParams) } },
      async (request, reply) => {
        if (!isUuid(request.params.id)) throw new SwitchboardError('NOT_FOUND', 'no such attachment');
        const [attachment] = await sql<{ message_id: string; filename: string | null; content_type: string; content: Buffer | null; drop_reason: string | null }[]>`
          select message_id, filename, content_type, content, drop_reason from email_attachments where id = ${request.params.id}`;
        if (!attachment) throw new SwitchboardError('NOT_FOUND', 'no such attachment');
        await messageOf(attachment.message_id, request.caller);
        if (attachment.content === null) throw new SwitchboardError('NOT_FOUND', `the content was not kept (${attachment.drop_reason ?? 'unknown reason'})`);
        const filename = (attachment.filename ?? 'attachment').replace(/["\\\r\n]/g, '_');
        // Always a download with the declared type never sniffed, so no attachment runs in the agent's browser.
        return reply
          .header('content-type', 'application/octet-stream')
          .header('content-disposition', `attachment; filename="${filename.replace(/[^\x20-\x7e]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(filename)}`)
          .header('x-content-type-options', 'nosniff')
          .header('x-declared-content-type', attachment.content_type.replace(/[^\x20-\x7e]/g, ''))
          .send(attachment.content);
      },
    );

    app.get<{ Querystring: z.infer<typeof quarantineQuery> }>(
      '/api/email/quarantine',
      { config: { roles: ['supervisor', 'admin'] }, schema: { tags: ['email'], summary: 'Quarantined messages', querystring: schemaOf(quarantineQuery) } },
      async (request) => {
        const rows = await sql<
          { mailbox_id: string; message_id: string; interaction_id: string; reason: string; size: number; captured_at: Date; reference: string; from_address: string; subject: string | null }[]
        >`
          select q.mailbox_id, q.message_id, q.interaction_id, q.reason, q.size, q.captured_at, i.reference::text as reference, i.from_address, i.subject
          from email_inbound q join interactions i on i.id = q.interaction_id
          where q.kind = 'quarantined' order by q.captured_at desc limit ${request.query.limit}`;
        return {
          messages: rows.map((row) => ({
            mailbox: row.mailbox_id,
            messageId: row.message_id,
            interactionId: row.interaction_id,
            reference: Number(row.reference),
            from: row.from_address,
            subject: row.subject,
            reason: row.reason,
            size: row.size,
            capturedAt: row.captured_at.toISOString(),
          })),
        };
      },
    );

    const settings = directory.settings();
    app.post<{ Params: { id: string }; Body: z.infer<typeof replyBody> }>(
      '/api/interactions/:id/email-reply',
      {
        config: { roles: ['agent'] },
        bodyLimit: Math.ceil((settings.maxTotalAttachmentBytes * 4) / 3) + 4 * MAX_BODY_CHARACTERS + 64 * 1024,
        schema: { tags: ['agent'], summary: 'Reply by email, with attachments', params: schemaOf(idParams), body: schemaOf(replyBody) },
      },
      async (request, reply) => {
        assertInteractionId(request.params.id);
        const interaction = await findInteraction(sql, request.params.id); // 404 before 403 for unknown ids
        if (interaction.channel !== 'email') throw new SwitchboardError('NOT_AN_EMAIL_INTERACTION', `interaction ${interaction.id} is ${interaction.channel}`);
        const limits = directory.settings();
        const attachments: OutboundAttachment[] = request.body.attachments.map((attachment) => ({
          filename: attachment.filename,
          contentType: attachment.contentType,
          content: Buffer.from(attachment.content, 'base64'),
        }));
        const total = attachments.reduce((sum, attachment) => sum + attachment.content.length, 0);
        const tooLarge = attachments.find((attachment) => attachment.content.length > limits.maxAttachmentBytes);
        if (tooLarge) throw new SwitchboardError('PAYLOAD_TOO_LARGE', `attachment "${tooLarge.filename}" is over ${limits.maxAttachmentBytes} bytes`);
        if (total > limits.maxTotalAttachmentBytes) throw new SwitchboardError('PAYLOAD_TOO_LARGE', `attachments total over ${limits.maxTotalAttachmentBytes} bytes`);
        const sent = await context.actions.reply(request.params.id, request.caller.id, request.body.body ?? null, {
          responseId: request.body.responseId ?? null,
          attach: attachmentsOf(attachments),
        });
        const { result } = sent;
        return reply
          .status(201)
          .send({ id: result.after.id, state: result.after.state, agentId: result.after.context.agentId, messageId: sent.messageId, status: sent.status, reviewId: sent.reviewId });
      },
    );
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function isUuid(value: string): boolean {
  return UUID.test(value);
}
