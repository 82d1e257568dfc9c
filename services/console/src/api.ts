import type { z } from 'zod';
import type { AlertChange, DeadLetter, Silence, api } from '@ganzhi/schemas';

/** Types of the API's answers, derived from the same zod schemas the API validates with. */
export type Session = z.infer<typeof api.SessionSchema>;
export type DeviceSummary = z.infer<typeof api.DeviceSummarySchema>;
export type DeviceDetail = z.infer<typeof api.DeviceDetailSchema>;
export type Overview = z.infer<typeof api.OverviewSchema>;
export type Bucket = z.infer<typeof api.BucketSchema>;
export type ConsoleConfig = z.infer<typeof api.ConsoleConfigSchema>;
export type NotificationRecord = z.infer<typeof api.NotificationRecordSchema>;
export type { AlertChange, DeadLetter, Silence };

/** A refusal from the API: its GANZHI_ERR_* code and the reason to show the operator. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let onUnauthorized: () => void = () => undefined;
export const whenUnauthorized = (fn: () => void) => (onUnauthorized = fn);

/** One call to the API with the session cookie (same origin); errors become ApiError with the server's reason. */
export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: { 'x-requested-with': 'ganzhi-console', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await res.json().catch(() => ({}))) as Record<string, any>;
  if (!res.ok) {
    if (res.status === 401 && path !== '/api/session') onUnauthorized();
    throw new ApiError(res.status, json.error?.code ?? `HTTP ${res.status}`, json.error?.message ?? json.result?.reason ?? res.statusText);
  }
  return json as T;
}

export const get = <T>(path: string) => call<T>('GET', path);
export const qs = (params: Record<string, string | number | boolean | undefined | null>) => {
  const e = Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== '');
  return e.length ? `?${new URLSearchParams(e.map(([k, v]) => [k, String(v)])).toString()}` : '';
};
