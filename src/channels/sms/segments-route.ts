// POST /api/sms/segments: how a draft will travel before it is sent. `{ "body" }` answers the
// encoding (GSM-7 or UCS-2), the segment count and the characters; with `interactionId` (or `number`)
// it also answers the number's maxSegments and whether the draft fits.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { findInteraction } from '../../engine/interaction-queries.ts';
import { SwitchboardError } from '../../errors.ts';
import type { HttpContext } from '../../http/context.ts';
import { assertMayRead, MAX_BODY_CHARACTERS } from '../../http/routes/interactions.ts';
import { schemaOf } from '../../http/validation.ts';
import { InvalidPhoneNumberError } from './errors.ts';
import { normalizeNumber } from './phone.ts';
import type { SmsDirectory } from './sms-directory.ts';
import { countSegments } from './segments.ts';

const segmentsBody = z
  .strictObject({
    body: z.string().max(MAX_BODY_CHARACTERS),
    interactionId: z.string().optional(),
    number: z.string().max(64).optional(),
  })
  .refine((value) => value.interactionId === undefined || value.number === undefined, 'give interactionId or number, not both');

export function smsSegmentsRoute(app: FastifyInstance, context: HttpContext, directory: SmsDirectory): void {
  app.post<{ Body: z.infer<typeof segmentsBody> }>(
    '/api/sms/segments',
    { config: { roles: ['agent', 'supervisor', 'admin'] }, schema: { tags: ['sms'], summary: 'Encoding and segment count of a draft', body: schemaOf(segmentsBody) } },
    async (request) => {
      const { body, interactionId, number } = request.body;
      const { encoding, segments, characters } = countSegments(body);
      let ownNumber: string | undefined;
      if (interactionId !== undefined) {
        const interaction = await findInteraction(context.database.sql, interactionId);
        assertMayRead(request.caller, interaction);
        ownNumber = interaction.to;
      } else if (number !== undefined) {
        try {
          ownNumber = normalizeNumber(number, { allowShortCode: true });
        } catch (error) {
          if (error instanceof InvalidPhoneNumberError) throw new SwitchboardError('INVALID_PHONE_NUMBER', `number: ${error.message}`);
          throw error;
        }
      }
      if (ownNumber === undefined) return { encoding, segments, characters };
      const configured = directory.number(ownNumber);
      if (configured === undefined) throw new SwitchboardError('UNKNOWN_NUMBER', `${ownNumber} is not a configured SMS number`);
      return { encoding, segments, characters, maxSegments: configured.maxSegments, withinLimit: segments <= configured.maxSegments };
    },
  );
}
