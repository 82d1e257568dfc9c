import { z } from 'zod';
import { NotifyLanguageSchema, ReceiverSchema } from '@ganzhi/registry';
import { AlertEventTypeSchema, DeviceKindSchema, GanzhiError, IdSchema, LevelSchema } from '@ganzhi/schemas';

/** Lifecycle events a route may notify on (`dispatched` goes to the assignee's own receivers). */
export const NotifyEventSchema = AlertEventTypeSchema;
export type NotifyEvent = z.infer<typeof NotifyEventSchema>;
export const DEFAULT_EVENTS: readonly NotifyEvent[] = ['raised', 'upgraded', 'reactivated', 'escalated', 'dispatched'];

/** Fields of an alert that a route can group its notifications by. */
export const GroupFieldSchema = z.enum(['site', 'kind', 'deviceId', 'ruleId', 'level']);
export type GroupField = z.infer<typeof GroupFieldSchema>;

const HHMM = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day HH:MM');

/** Hours (in the routing file's UTC offset) when a route's notifications wait for the morning. */
export const QuietHoursSchema = z
  .object({
    from: HHMM,
    to: HHMM,
    /** Alerts at this grade or above are sent even in quiet hours (default red). */
    exceptFrom: LevelSchema.default('red'),
  })
  .strict();
export type QuietHours = z.infer<typeof QuietHoursSchema>;

/** Every field is "any of"; fields combine with AND; an absent field matches everything. */
export const MatchSchema = z
  .object({
    grade: z.array(LevelSchema).min(1).optional(),
    minGrade: LevelSchema.optional(),
    kind: z.array(DeviceKindSchema).min(1).optional(),
    site: z.array(z.string().min(1).max(64)).min(1).optional(),
    ruleId: z.array(IdSchema).min(1).optional(),
    deviceId: z.array(IdSchema).min(1).optional(),
  })
  .strict();
export type Match = z.infer<typeof MatchSchema>;

/** A target: a receiver of this file (`<id>`), a duty group's receivers (`group:<id>`) or an operator's (`operator:<id>`). */
export const TargetSchema = z.string().regex(/^((group|operator):)?[A-Za-z0-9_.-]{1,64}$/, 'a receiver id, group:<id> or operator:<id>');

const settings = {
  /** Alerts whose changes fall together by these fields (and the route) go out as one message. */
  groupBy: z.array(GroupFieldSchema).max(5).optional(),
  /** How long a group collects alerts before its message goes out (0 = at once). */
  groupWaitSec: z.number().int().min(0).max(3600).optional(),
  /** Re-send an alert still open (not resolved, condition active) this often; 0 = never. */
  repeatIntervalMin: z.number().int().min(0).max(10_080).optional(),
  /** Which lifecycle events notify. */
  events: z.array(NotifyEventSchema).min(1).optional(),
  quietHours: QuietHoursSchema.nullable().optional(),
  language: NotifyLanguageSchema.optional(),
};

export interface RouteInput {
  id?: string | undefined;
  match?: Match | undefined;
  to?: string[] | undefined;
  continue?: boolean | undefined;
  routes?: RouteInput[] | undefined;
  groupBy?: GroupField[] | undefined;
  groupWaitSec?: number | undefined;
  repeatIntervalMin?: number | undefined;
  events?: NotifyEvent[] | undefined;
  quietHours?: QuietHours | null | undefined;
  language?: z.infer<typeof NotifyLanguageSchema> | undefined;
}

export const RouteSchema: z.ZodType<RouteInput> = z.lazy(() =>
  z
    .object({
      id: IdSchema.optional(),
      match: MatchSchema.optional(),
      to: z.array(TargetSchema).max(50).optional(),
      /** Keep looking at the following sibling routes after this one matched. */
      continue: z.boolean().optional(),
      routes: z.array(RouteSchema).max(200).optional(),
      ...settings,
    })
    .strict(),
);

export const RoutingFileSchema = z
  .object({
    version: z.literal(1),
    /** Base URL of the operators' console; a message links to `<consoleUrl>/alerts/<alertId>`. */
    consoleUrl: z.url().optional(),
    /** Default message language. */
    language: NotifyLanguageSchema.default('zh-CN'),
    /** The offset of local time (quiet hours, times in messages), e.g. +08:00 for China. */
    utcOffset: z.string().regex(/^[+-]([01]\d|2[0-3]):[0-5]\d$/, 'an offset such as +08:00').default('+08:00'),
    receivers: z.array(ReceiverSchema).max(200).default([]),
    route: RouteSchema,
  })
  .strict()
  .superRefine((file, ctx) => {
    const ids = new Set<string>();
    file.receivers.forEach((r, i) => {
      if (ids.has(r.id)) ctx.addIssue({ code: 'custom', path: ['receivers', i, 'id'], message: `duplicate receiver "${r.id}"` });
      ids.add(r.id);
    });
    const walk = (r: RouteInput, path: (string | number)[]) => {
      r.to?.forEach((t, i) => {
        if (!t.includes(':') && !ids.has(t)) ctx.addIssue({ code: 'custom', path: [...path, 'to', i], message: `no receiver "${t}" in this file` });
      });
      r.routes?.forEach((c, i) => walk(c, [...path, 'routes', i]));
    };
    if (file.route.match) ctx.addIssue({ code: 'custom', path: ['route', 'match'], message: 'the root route matches everything: no match here' });
    walk(file.route, ['route']);
  });
export type RoutingFile = z.infer<typeof RoutingFileSchema>;

/** Parses a routing document; GANZHI_ERR_NOTIFY_ROUTES names the source and every bad field. */
export function parseRoutingFile(doc: unknown, source = 'routing file'): RoutingFile {
  const result = RoutingFileSchema.safeParse(doc);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new GanzhiError('GANZHI_ERR_NOTIFY_ROUTES', `${source}: ${problems}`, { details: { fields: result.error.issues.map((i) => i.path.join('.')) } });
  }
  return result.data;
}
