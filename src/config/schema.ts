import { z } from 'zod';
import { duration } from './duration.ts';
import { refineSmsConfig, smsNumberSchema, smsProviderSchema } from '../channels/sms/sms-config.ts';
import { deskConfigShape, refineDeskConfig, workgroupDispositionsSchema } from '../desk/desk-config.ts';
import { emailAddressSchema, emailSettingsSchema, mailboxSchema, refineEmailConfig, smtpSchema } from '../channels/email/email-config.ts';

export const CHANNELS = ['email', 'sms'] as const;
export type Channel = (typeof CHANNELS)[number];
export const ROLES = ['agent', 'supervisor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'ids are 1-64 letters, digits, "_", "." or "-"');

/** A regular expression source; compiled case-insensitively. An invalid one is reported at its key. */
const regex = z.string().superRefine((source, ctx) => {
  try {
    new RegExp(source, 'iu');
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `invalid regular expression: ${(error as Error).message}` });
  }
});

const skillLevels = z.record(id, z.number().int().min(1).max(10));

export const userSchema = z
  .object({
    id,
    name: z.string().min(1),
    role: z.enum(ROLES),
    token: z.string().min(16, 'tokens are at least 16 characters').optional(),
    tokenHash: z.string().regex(/^sha256:[0-9a-f]{64}$/, 'tokenHash is "sha256:" and 64 hex digits').optional(),
    workgroups: z.array(id).default([]),
    skills: skillLevels.default({}),
    capacity: z.object({ email: z.number().int().min(0).max(50), sms: z.number().int().min(0).max(50) }).partial().default({}),
  })
  .strict()
  .refine((user) => user.token !== undefined || user.tokenHash !== undefined, {
    message: 'a user needs a token or a tokenHash',
    path: ['token'],
  });

export const workgroupSchema = z.object({ id, name: z.string().min(1), dispositions: workgroupDispositionsSchema }).strict();

export const categorySchema = z
  .object({
    id,
    name: z.string().min(1).optional(),
    rules: z.array(regex).default([]),
    workgroup: id,
    skills: z.array(id).default([]),
    priority: z.number().int().min(0).max(1_000_000).default(0),
    lastAgentRouting: z.boolean().default(false),
    overflowAfter: duration.default(300_000),
    default: z.boolean().default(false),
  })
  .strict();

export const routingSchema = z
  .object({
    offerTimeout: duration.default(30_000),
    ronaPriorityIncrement: z.number().int().min(0).default(10),
    transferPriority: z.number().int().min(0).default(50),
    wrapUpTimeout: duration.default(120_000),
    aging: z
      .object({ every: duration.default(60_000), add: z.number().int().min(0).default(1) })
      .strict()
      .default({ every: 60_000, add: 1 }),
  })
  .strict();

/** How long what accumulates is kept. */
export const retentionSchema = z
  .object({
    /** Agents' and supervisors' stream events (what Last-Event-ID resumes from); at least an hour. */
    streamEvents: duration.default(7 * 86_400_000).refine((ms) => ms >= 3_600_000, 'keep stream events at least 1h'),
  })
  .strict();

export const DEFAULT_NOT_READY_REASONS = ['Admin Work', 'Lunch', 'Meeting', 'Pause', 'Training'];
/** Reason the engine itself uses when an offer rings out. */
export const NO_ANSWER_REASON = 'No answer';

export const configSchema = z
  .object({
    users: z.array(userSchema).default([]),
    workgroups: z.array(workgroupSchema).default([]),
    categories: z.array(categorySchema).min(1, 'at least one category is needed'),
    routing: routingSchema.default(routingSchema.parse({})),
    dispositions: z
      .array(z.object({ code: id, name: z.string().min(1).optional(), default: z.boolean().default(false) }).strict())
      .min(1, 'at least one disposition is needed'),
    notReadyReasons: z.array(z.string().min(1).max(64)).default(DEFAULT_NOT_READY_REASONS),
    retention: retentionSchema.default(retentionSchema.parse({})),
    ...deskConfigShape,
    smsProviders: z.array(smsProviderSchema).default([]),
    smsNumbers: z.array(smsNumberSchema).default([]),
    mailboxes: z.array(mailboxSchema).default([]),
    addresses: z.array(emailAddressSchema).default([]),
    smtp: smtpSchema.nullable().default(null),
    email: emailSettingsSchema.default(emailSettingsSchema.parse({})),
  })
  .strict()
  .superRefine((config, ctx) => {
    const duplicates = (values: string[], path: string) => {
      const seen = new Set<string>();
      values.forEach((value, index) => {
        if (seen.has(value)) ctx.addIssue({ code: 'custom', message: `duplicate id "${value}"`, path: [path, index, 'id'] });
        seen.add(value);
      });
    };
    duplicates(config.users.map((u) => u.id), 'users');
    duplicates(config.workgroups.map((w) => w.id), 'workgroups');
    duplicates(config.categories.map((c) => c.id), 'categories');
    const workgroups = new Set(config.workgroups.map((w) => w.id));
    config.categories.forEach((category, index) => {
      if (!workgroups.has(category.workgroup)) {
        ctx.addIssue({ code: 'custom', message: `unknown workgroup "${category.workgroup}"`, path: ['categories', index, 'workgroup'] });
      }
    });
    config.users.forEach((user, index) => {
      user.workgroups.forEach((workgroup, w) => {
        if (!workgroups.has(workgroup)) {
          ctx.addIssue({ code: 'custom', message: `unknown workgroup "${workgroup}"`, path: ['users', index, 'workgroups', w] });
        }
      });
    });
    const defaults = config.categories.filter((c) => c.default);
    if (defaults.length > 1) {
      ctx.addIssue({ code: 'custom', message: 'only one category may be the default', path: ['categories'] });
    }
    if (config.dispositions.filter((d) => d.default).length > 1) {
      ctx.addIssue({ code: 'custom', message: 'only one disposition may be the default', path: ['dispositions'] });
    }
    const dispositionCodes = config.dispositions.map((d) => d.code);
    dispositionCodes.forEach((code, index) => {
      if (dispositionCodes.indexOf(code) !== index) {
        ctx.addIssue({ code: 'custom', message: `duplicate code "${code}"`, path: ['dispositions', index, 'code'] });
      }
    });
    refineSmsConfig(config, ctx);
    refineDeskConfig(config, ctx);
    refineEmailConfig(config, ctx);
  });

export type ConfigInput = z.input<typeof configSchema>;
export type Config = z.output<typeof configSchema>;
export type UserConfig = Config['users'][number];
export type CategoryConfig = Config['categories'][number];
export type RoutingConfig = Config['routing'];
