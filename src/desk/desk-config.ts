// The desk's part of the configuration file: status messages, disposition codes per workgroup, the
// standard response library, review before send and aged-item alerts.
//
//   statusMessages: [Available, Away, Meeting, Busy, Back soon]
//   workgroups:
//     - { id: billing, name: Billing, dispositions: [refunded, resolved] }   # else the global list applies
//   responses:
//     - id: order-status
//       title: Where is my order
//       body: "Dear {{customer.name|customer}},\n\nyour order is on its way (ref {{reference}}).\n\n{{agent.name}}"
//       keywords: [order, delivery, tracking, parcel]
//       channel: both                      # email | sms | both
//       workgroups: [support]              # empty: every workgroup
//   review:                                # replies that wait for a supervisor's approval
//     agents: [trainee]                    # written by these agents
//     workgroups: [vip]                    # on interactions of these workgroups
//     categories: [legal]                  # on interactions of these categories
//   alerts:
//     - { id: old-email, watch: open, after: 4h, channel: email }
//     - { id: sms-waiting, watch: waiting, after: 5m, channel: sms }
//     - { id: stale-draft, watch: active, after: 1d, workgroup: support }
//
// Alert watches: `waiting` (queued or offered, not yet accepted), `active` (held by an agent who has
// not marked it done: a draft), `open` (not yet closed, counted from arrival).
import { z } from 'zod';
import { duration } from '../config/duration.ts';
import { PLACEHOLDERS, unknownPlaceholders } from './placeholders.ts';

const id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'ids are 1-64 letters, digits, "_", "." or "-"');

export const RESPONSE_CHANNELS = ['email', 'sms', 'both'] as const;
export type ResponseChannel = (typeof RESPONSE_CHANNELS)[number];
export const DEFAULT_STATUS_MESSAGES = ['Available', 'Away', 'Meeting', 'Busy', 'Back soon'];

export const ALERT_WATCHES = ['waiting', 'active', 'open'] as const;
export type AlertWatch = (typeof ALERT_WATCHES)[number];

/** Disposition codes of a workgroup (codes of the global `dispositions` list); absent: the global list applies. */
export const workgroupDispositionsSchema = z.array(id).min(1, 'list at least one code, or leave dispositions out').optional();

export const responseSchema = z.strictObject({
  id,
  title: z.string().trim().min(1).max(200),
  body: z.string().min(1).max(100_000),
  keywords: z.array(z.string().trim().min(1).max(64)).default([]),
  channel: z.enum(RESPONSE_CHANNELS).default('both'),
  workgroups: z.array(id).default([]),
});

export const reviewSchema = z.strictObject({
  agents: z.array(id).default([]),
  workgroups: z.array(id).default([]),
  categories: z.array(id).default([]),
});

export const alertRuleSchema = z.strictObject({
  id,
  name: z.string().min(1).optional(),
  watch: z.enum(ALERT_WATCHES),
  after: duration.refine((ms) => ms >= 1_000, 'alerts wait at least 1s'),
  channel: z.enum(RESPONSE_CHANNELS).default('both'),
  workgroup: id.optional(),
  category: id.optional(),
});

/** The desk's top-level keys of the configuration schema. */
export const deskConfigShape = {
  statusMessages: z.array(z.string().trim().min(1).max(64)).default(DEFAULT_STATUS_MESSAGES),
  responses: z.array(responseSchema).default([]),
  review: reviewSchema.default({ agents: [], workgroups: [], categories: [] }),
  alerts: z.array(alertRuleSchema).default([]),
};

export type ResponseConfig = z.output<typeof responseSchema>;
export type ReviewConfig = z.output<typeof reviewSchema>;
export type AlertRuleConfig = z.output<typeof alertRuleSchema>;

interface DeskConfigView {
  users: { id: string; role: string }[];
  workgroups: { id: string; dispositions?: string[] | undefined }[];
  categories: { id: string }[];
  dispositions: { code: string }[];
  statusMessages: string[];
  responses: ResponseConfig[];
  review: ReviewConfig;
  alerts: AlertRuleConfig[];
}

/** Cross-references of the desk's keys, for the configuration schema's superRefine; every issue names its path. */
export function refineDeskConfig(config: DeskConfigView, ctx: z.RefinementCtx): void {
  const issue = (message: string, path: (string | number)[]) => ctx.addIssue({ code: 'custom', message, path });
  const unique = (values: string[], path: (index: number) => (string | number)[], what = 'id') => {
    const seen = new Set<string>();
    values.forEach((value, index) => {
      if (seen.has(value)) issue(`duplicate ${what} "${value}"`, path(index));
      seen.add(value);
    });
  };
  const workgroups = new Set(config.workgroups.map((w) => w.id));
  const categories = new Set(config.categories.map((c) => c.id));
  const codes = new Set(config.dispositions.map((d) => d.code));
  const agents = new Set(config.users.filter((u) => u.role === 'agent').map((u) => u.id));

  unique(config.statusMessages, (i) => ['statusMessages', i], 'status message');

  config.workgroups.forEach((workgroup, w) => {
    const list = workgroup.dispositions ?? [];
    list.forEach((code, c) => {
      if (!codes.has(code)) issue(`unknown disposition "${code}"`, ['workgroups', w, 'dispositions', c]);
    });
    unique(list, (c) => ['workgroups', w, 'dispositions', c], 'code');
  });

  unique(config.responses.map((r) => r.id), (i) => ['responses', i, 'id']);
  config.responses.forEach((response, r) => {
    response.workgroups.forEach((workgroup, w) => {
      if (!workgroups.has(workgroup)) issue(`unknown workgroup "${workgroup}"`, ['responses', r, 'workgroups', w]);
    });
    for (const key of ['title', 'body'] as const) {
      for (const name of unknownPlaceholders(response[key])) {
        issue(`unknown placeholder "{{${name}}}" (known: ${PLACEHOLDERS.join(', ')})`, ['responses', r, key]);
      }
    }
  });

  config.review.agents.forEach((agent, i) => {
    if (!agents.has(agent)) issue(`unknown agent "${agent}"`, ['review', 'agents', i]);
  });
  config.review.workgroups.forEach((workgroup, i) => {
    if (!workgroups.has(workgroup)) issue(`unknown workgroup "${workgroup}"`, ['review', 'workgroups', i]);
  });
  config.review.categories.forEach((category, i) => {
    if (!categories.has(category)) issue(`unknown category "${category}"`, ['review', 'categories', i]);
  });

  unique(config.alerts.map((a) => a.id), (i) => ['alerts', i, 'id']);
  config.alerts.forEach((rule, i) => {
    if (rule.workgroup !== undefined && !workgroups.has(rule.workgroup)) issue(`unknown workgroup "${rule.workgroup}"`, ['alerts', i, 'workgroup']);
    if (rule.category !== undefined && !categories.has(rule.category)) issue(`unknown category "${rule.category}"`, ['alerts', i, 'category']);
  });
}
