import { readFile } from 'node:fs/promises';
import type { Env } from '@ganzhi/config';
import {
  compileRouting,
  createNotifyPlanner,
  createReceiverDirectory,
  loadRoutingFile,
  loadTemplateDir,
  offsetMinutes,
  type NotifyPlanner,
  type ReceiverDirectory,
  type ResolvedReceiver,
  type RoutingFile,
  type Templates,
} from '@ganzhi/notify';
import type { Receiver, Registry, SecretRef } from '@ganzhi/registry';
import { GanzhiError } from '@ganzhi/schemas';
import type { NotifierSettings } from './config';

/** Everything the notifier needs that comes from files and secrets, read once at start-up. */
export interface NotifierSetup {
  routing: RoutingFile;
  planner: NotifyPlanner;
  directory: ReceiverDirectory;
  templates: Templates;
  /** Each receiver key with its secrets read. */
  receivers: ReadonlyMap<string, ResolvedReceiver>;
  offsetMin: number;
  /** The SMTP server of e-mail receivers (GANZHI_NOTIFY_SMTP_URL, or read from GANZHI_NOTIFY_SMTP_URL_FILE). */
  smtpUrl: string | undefined;
}

/** The SMTP URL from the variable or from the file it names (a secret either way: never logged). */
async function smtpUrlOf(settings: NotifierSettings): Promise<string | undefined> {
  const file = settings.GANZHI_NOTIFY_SMTP_URL_FILE;
  if (file === undefined) return settings.GANZHI_NOTIFY_SMTP_URL;
  if (settings.GANZHI_NOTIFY_SMTP_URL !== undefined) throw new GanzhiError('GANZHI_ERR_CFG_INVALID', 'GANZHI_NOTIFY_SMTP_URL_FILE: set it or GANZHI_NOTIFY_SMTP_URL, not both');
  return secret({ file }, {}, 'GANZHI_NOTIFY_SMTP_URL_FILE');
}

async function secret(ref: SecretRef, env: Env, where: string): Promise<string> {
  if (typeof ref === 'string') return ref;
  if ('env' in ref) {
    const v = env[ref.env];
    if (!v) throw new GanzhiError('GANZHI_ERR_NOTIFY_SECRET', `${where}: environment variable ${ref.env} is not set`);
    return v;
  }
  try {
    const v = (await readFile(ref.file, 'utf8')).trim();
    if (!v) throw new Error('empty');
    return v;
  } catch (err) {
    throw new GanzhiError('GANZHI_ERR_NOTIFY_SECRET', `${where}: cannot read the secret file ${ref.file}`, { cause: err });
  }
}

async function resolve(key: string, r: Receiver, env: Env): Promise<ResolvedReceiver> {
  const where = `receiver ${key}`;
  switch (r.type) {
    case 'email':
      return { type: 'email', id: r.id, to: r.to };
    case 'wecom':
      return { type: 'wecom', id: r.id, url: await secret(r.url, env, `${where} url`) };
    case 'webhook':
    case 'feishu':
      return { type: r.type, id: r.id, url: await secret(r.url, env, `${where} url`), ...(r.secret ? { secret: await secret(r.secret, env, `${where} secret`) } : {}) };
    case 'dingtalk':
      return {
        type: 'dingtalk',
        id: r.id,
        url: await secret(r.url, env, `${where} url`),
        ...(r.secret ? { secret: await secret(r.secret, env, `${where} secret`) } : {}),
        ...(r.atMobiles ? { atMobiles: r.atMobiles } : {}),
      };
    default: {
      const never: never = r;
      throw new Error(`unknown receiver ${JSON.stringify(never)}`);
    }
  }
}

/**
 * Loads the routing file and templates, checks every route target against the registry and reads
 * every receiver's secrets: a problem stops start-up with a GANZHI_ERR_NOTIFY_* code naming it.
 */
export async function prepareNotifier(settings: NotifierSettings, registry: Registry, env: Env): Promise<NotifierSetup> {
  const routing = await loadRoutingFile(settings.GANZHI_NOTIFY_ROUTES_FILE);
  const directory = createReceiverDirectory(routing, registry);
  const templates = await loadTemplateDir(settings.GANZHI_NOTIFY_TEMPLATES_DIR);
  const smtpUrl = await smtpUrlOf(settings);
  const receivers = new Map<string, ResolvedReceiver>();
  for (const key of directory.keys()) {
    const r = directory.get(key)!;
    if (r.type === 'email' && !smtpUrl) {
      throw new GanzhiError('GANZHI_ERR_CFG_INVALID', `GANZHI_NOTIFY_SMTP_URL: required by the e-mail receiver ${key} (or GANZHI_NOTIFY_SMTP_URL_FILE)`);
    }
    receivers.set(key, await resolve(key, r, env));
  }
  const router = compileRouting(routing);
  return {
    routing,
    directory,
    templates,
    receivers,
    planner: createNotifyPlanner({ router, directory, utcOffset: routing.utcOffset }),
    offsetMin: offsetMinutes(routing.utcOffset),
    smtpUrl,
  };
}
