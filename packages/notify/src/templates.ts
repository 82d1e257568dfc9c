import Mustache from 'mustache';
import type { NotifyLanguage, ReceiverType } from '@ganzhi/registry';
import { GanzhiError, SEVERITY, type Level } from '@ganzhi/schemas';
import { COLORS, LABELS } from './labels';
import type { Notification } from './planner';


const zhTitle = '【{{gradeLabel}}】{{#single}}{{#first}}{{site}} {{kindLabel}} {{deviceId}} {{eventLabel}}{{/first}}{{/single}}{{^single}}{{siteList}} {{count}} 条告警{{/single}}';
const enTitle = '[{{gradeLabel}}] {{#single}}{{#first}}{{site}} {{kindLabel}} {{deviceId}} {{eventLabel}}{{/first}}{{/single}}{{^single}}{{siteList}}: {{count}} alerts{{/single}}';

const zhLines = (color: (c: string) => string) => `{{#alerts}}
${color('**{{gradeLabel}}** {{eventLabel}}')}
- 站点：{{site}}　设备：{{deviceId}}（{{kindLabel}}）
- 规则：{{ruleId}}　当前值：{{valueText}}　阈值：{{thresholdText}}
{{#message}}- {{message}}
{{/message}}{{#assignee}}- 处置人：{{assignee}}
{{/assignee}}- 时间：{{time}}
{{#link}}- [查看告警]({{link}})
{{/link}}
{{/alerts}}`;
const enLines = (color: (c: string) => string) => `{{#alerts}}
${color('**{{gradeLabel}}** {{eventLabel}}')}
- Site: {{site}}  Device: {{deviceId}} ({{kindLabel}})
- Rule: {{ruleId}}  Value: {{valueText}}  Threshold: {{thresholdText}}
{{#message}}- {{message}}
{{/message}}{{#assignee}}- Assignee: {{assignee}}
{{/assignee}}- Time: {{time}}
{{#link}}- [Open the alert]({{link}})
{{/link}}
{{/alerts}}`;

const wecomColor = (s: string) => `<font color="{{wecomColor}}">${s}</font>`;
const hexColor = (s: string) => `<font color={{color}}>${s}</font>`;
const feishuColor = (s: string) => `<font color='{{feishuColor}}'>${s}</font>`;
const plain = (s: string) => s;

const html = (lang: NotifyLanguage) => `<h2 style="color:{{color}}">{{title}}</h2>
{{#alerts}}<table style="border-left:4px solid {{color}};margin:8px 0;padding-left:8px">
<tr><td colspan="2"><b style="color:{{color}}">{{gradeLabel}}</b> {{eventLabel}}</td></tr>
<tr><td>${lang === 'en' ? 'Site' : '站点'}</td><td>{{site}}</td></tr>
<tr><td>${lang === 'en' ? 'Device' : '设备'}</td><td>{{deviceId}} ({{kindLabel}})</td></tr>
<tr><td>${lang === 'en' ? 'Rule' : '规则'}</td><td>{{ruleId}}</td></tr>
<tr><td>${lang === 'en' ? 'Value / threshold' : '当前值 / 阈值'}</td><td>{{valueText}} / {{thresholdText}}</td></tr>
{{#message}}<tr><td colspan="2">{{message}}</td></tr>{{/message}}
{{#assignee}}<tr><td>${lang === 'en' ? 'Assignee' : '处置人'}</td><td>{{assignee}}</td></tr>{{/assignee}}
<tr><td>${lang === 'en' ? 'Time' : '时间'}</td><td>{{time}}</td></tr>
{{#link}}<tr><td colspan="2"><a href="{{link}}">${LABELS[lang].open}</a></td></tr>{{/link}}
</table>{{/alerts}}`;

/** The shipped templates, by `<kind>.<part>.<language>`. */
export const BUILTIN_TEMPLATES: Readonly<Record<string, string>> = Object.fromEntries(
  (['zh-CN', 'en'] as const).flatMap((lang) => {
    const title = lang === 'en' ? enTitle : zhTitle;
    const lines = lang === 'en' ? enLines : zhLines;
    return [
      ...(['wecom', 'dingtalk', 'feishu', 'webhook', 'email'] as const).map((k) => [`${k}.title.${lang}`, title]),
      [`wecom.body.${lang}`, `## {{title}}\n${lines(wecomColor)}`],
      [`dingtalk.body.${lang}`, `### {{title}}\n${lines(hexColor)}`],
      [`feishu.body.${lang}`, lines(feishuColor)],
      [`webhook.body.${lang}`, lines(plain)],
      [`email.body.${lang}`, `{{title}}\n${lines(plain)}`],
      [`email.html.${lang}`, html(lang)],
    ];
  }),
);

export type Templates = Readonly<Record<string, string>>;

/**
 * The shipped templates with overrides laid over them (from files named `<kind>.<part>.<lang>.mustache`).
 * An override with an unknown name or bad Mustache syntax fails with GANZHI_ERR_NOTIFY_TEMPLATE.
 */
export function withOverrides(overrides: Readonly<Record<string, string>>, source = 'templates'): Templates {
  const out: Record<string, string> = { ...BUILTIN_TEMPLATES };
  for (const [name, text] of Object.entries(overrides)) {
    if (!(name in BUILTIN_TEMPLATES)) {
      throw new GanzhiError('GANZHI_ERR_NOTIFY_TEMPLATE', `${source}: "${name}" is not a template name (one of ${Object.keys(BUILTIN_TEMPLATES).join(', ')})`);
    }
    try {
      Mustache.parse(text);
    } catch (err) {
      throw new GanzhiError('GANZHI_ERR_NOTIFY_TEMPLATE', `${source}: ${name}: ${(err as Error).message}`, { cause: err });
    }
    out[name] = text;
  }
  return out;
}

export interface Rendered {
  title: string;
  body: string;
  /** E-mail only. */
  html?: string;
  /** Highest grade of the notification's alerts (the card's colour). */
  level: Level;
  /** Link to the (first) alert in the console, when a console URL is configured. */
  link?: string;
}

function formatTime(ms: number, offsetMin: number): string {
  const d = new Date(ms + offsetMin * 60_000);
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  const off = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} (UTC${off})`;
}

/** The view a template sees: the notification's alerts with their labels, colours and links. */
export function templateView(n: Notification, lang: NotifyLanguage, options: { consoleUrl?: string; offsetMin: number }) {
  const L = LABELS[lang];
  const level = n.items.reduce<Level>((a, i) => (SEVERITY[i.level] > SEVERITY[a] ? i.level : a), 'blue');
  const link = (alertId: string) => (options.consoleUrl ? `${options.consoleUrl.replace(/\/$/, '')}/alerts/${encodeURIComponent(alertId)}` : undefined);
  const alerts = n.items.map((i) => ({
    ...i,
    site: i.site ?? '-',
    gradeLabel: L.grade[i.level],
    eventLabel: L.event[i.event],
    kindLabel: L.kind[i.kind],
    valueText: i.value ?? '-',
    thresholdText: i.threshold ?? '-',
    time: formatTime(i.at, options.offsetMin),
    color: COLORS[i.level].hex,
    wecomColor: COLORS[i.level].wecom,
    feishuColor: COLORS[i.level].feishu,
    link: link(i.alertId),
  }));
  const sites = [...new Set(n.items.map((i) => i.site ?? '-'))];
  return {
    notificationId: n.id,
    level,
    gradeLabel: L.grade[level],
    color: COLORS[level].hex,
    count: n.items.length,
    single: n.items.length === 1,
    first: alerts[0],
    siteList: sites.join(lang === 'en' ? ', ' : '、'),
    alerts,
    link: link(n.items[0]!.alertId),
    openLabel: L.open,
  };
}

/** Renders a notification for one receiver kind and language. Markdown is not HTML-escaped; e-mail HTML is. */
export function renderNotification(
  templates: Templates,
  type: ReceiverType,
  lang: NotifyLanguage,
  n: Notification,
  options: { consoleUrl?: string; offsetMin: number },
): Rendered {
  const view = templateView(n, lang, options);
  const raw = { escape: (s: unknown) => String(s) };
  const t = (part: string) => templates[`${type}.${part}.${lang}`]!;
  const title = Mustache.render(t('title'), view, {}, raw).trim();
  const body = Mustache.render(t('body'), { ...view, title }, {}, raw).replace(/\n{3,}/g, '\n\n').trim();
  return {
    title,
    body,
    ...(type === 'email' ? { html: Mustache.render(t('html'), { ...view, title }) } : {}),
    level: view.level,
    ...(view.link ? { link: view.link } : {}),
  };
}
