import { GRADE, type AlertChange, type CommandResult } from '@ganzhi/schemas';
import { replyTopic } from './acl';

export interface Publication {
  readonly topic: string;
  readonly payload: string;
  readonly retain: boolean;
}

export const alertTopic = (c: Pick<AlertChange, 'level' | 'kind' | 'deviceId' | 'ruleId'>, level = c.level) =>
  `alerts/${level}/${c.kind}/${c.deviceId}/${c.ruleId}`;
export const escalationTopic = (c: Pick<AlertChange, 'level' | 'kind' | 'deviceId' | 'ruleId'>) =>
  `escalations/${c.level}/${c.kind}/${c.deviceId}/${c.ruleId}`;

/** Whether operators are to be paged for this change (silenced or inhibited changes are only recorded). */
export function shouldNotify(change: AlertChange): boolean {
  const flags = change as AlertChange & { notify?: boolean; silenced?: boolean; suppressed?: boolean };
  return flags.notify !== false && flags.silenced !== true && flags.suppressed !== true;
}

/**
 * What an alert change publishes to operators over MQTT. An alert that is not closed is retained
 * on its topic `alerts/{level}/{kind}/{deviceId}/{ruleId}` so a console that connects late sees
 * the current state; a grade change clears the retained message at the old grade, and closing
 * clears it (an empty retained payload, which subscribers also receive: ignore empty payloads).
 * An escalation (nobody acknowledged in time) is also sent, not retained, on
 * `escalations/{level}/{kind}/{deviceId}/{ruleId}` for the people who are paged on escalation.
 */
export function alertPublications(change: AlertChange): Publication[] {
  const topic = alertTopic(change);
  const payload = JSON.stringify({ ...change, grade: GRADE[change.level] });
  const out: Publication[] = [];
  const from = change.event.fromLevel;
  if (from && from !== change.level) out.push({ topic: alertTopic(change, from), payload: '', retain: true });
  if (change.status === 'closed') {
    out.push({ topic, payload, retain: false });
    out.push({ topic, payload: '', retain: true });
  } else {
    out.push({ topic, payload, retain: true });
  }
  if (change.event.type === 'escalated') out.unshift({ topic: escalationTopic(change), payload, retain: false });
  return out;
}

export function replyPublication(result: CommandResult): Publication {
  return { topic: replyTopic(result.actor), payload: JSON.stringify(result), retain: false };
}

/** The key under which the gateway remembers an alert's retained message across restarts. */
export const retainedKey = (c: Pick<AlertChange, 'deviceId' | 'ruleId'>) => `${c.deviceId}/${c.ruleId}`;
