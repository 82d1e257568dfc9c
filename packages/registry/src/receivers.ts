import { z } from 'zod';
import { IdSchema } from '@ganzhi/schemas';

/**
 * A secret given by reference, never inline in a shared file: the name of an environment variable,
 * or a file (e.g. a mounted Kubernetes/compose secret) whose content, trimmed, is the secret.
 * A plain string is allowed too (for local tests and demos).
 */
export const SecretRefSchema = z.union([
  z.string().min(1),
  z.object({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name') }).strict(),
  z.object({ file: z.string().min(1) }).strict(),
]);
export type SecretRef = z.infer<typeof SecretRefSchema>;

export const NotifyLanguageSchema = z.enum(['zh-CN', 'en']);
export type NotifyLanguage = z.infer<typeof NotifyLanguageSchema>;

const base = {
  id: IdSchema,
  /** Language of the messages this receiver gets; default: the routing file's (zh-CN). */
  language: NotifyLanguageSchema.optional(),
};

/** Mobile numbers to @-mention in a chat robot message. */
const MobilesSchema = z.array(z.string().regex(/^\+?[0-9-]{5,20}$/, 'a mobile number')).max(50).optional();

/**
 * Where a notification goes. Chat robots (WeCom, DingTalk, Feishu) take their webhook URL, which
 * carries the robot's key or token and so is a secret; DingTalk and Feishu robots may also have a
 * signing secret. The generic webhook signs its body with HMAC-SHA256 when given a secret.
 */
export const ReceiverSchema = z.discriminatedUnion('type', [
  z.object({ ...base, type: z.literal('webhook'), url: SecretRefSchema, secret: SecretRefSchema.optional() }).strict(),
  z.object({ ...base, type: z.literal('wecom'), url: SecretRefSchema }).strict(),
  z.object({ ...base, type: z.literal('dingtalk'), url: SecretRefSchema, secret: SecretRefSchema.optional(), atMobiles: MobilesSchema }).strict(),
  z.object({ ...base, type: z.literal('feishu'), url: SecretRefSchema, secret: SecretRefSchema.optional() }).strict(),
  z.object({ ...base, type: z.literal('email'), to: z.array(z.email()).min(1).max(50) }).strict(),
]);
export type Receiver = z.infer<typeof ReceiverSchema>;
export type ReceiverType = Receiver['type'];

/** A duty group (e.g. the river duty desk): its own receivers (the group chat), and its members. */
export const DutyGroupSchema = z.object({
  id: IdSchema,
  name: z.string().max(128).optional(),
  /** Operator ids; informational, and dispatching to the group notifies the group's receivers. */
  members: z.array(IdSchema).max(500).default([]),
  receivers: z.array(ReceiverSchema).max(20).default([]),
});
export type DutyGroup = z.infer<typeof DutyGroupSchema>;
