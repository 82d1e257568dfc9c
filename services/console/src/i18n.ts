import { ref } from 'vue';
import en from './locales/en';
import zh from './locales/zh-CN';

export type Locale = 'zh-CN' | 'en';
const messages: Record<Locale, typeof zh> = { 'zh-CN': zh, en };
const saved = typeof localStorage !== 'undefined' ? localStorage.getItem('ganzhi.locale') : null;

/** The console's language: Chinese first; the switch is remembered in this browser. */
export const locale = ref<Locale>(saved === 'en' ? 'en' : 'zh-CN');

export function setLocale(l: Locale): void {
  locale.value = l;
  localStorage.setItem('ganzhi.locale', l);
  document.documentElement.lang = l;
}

/** `t('board.escalated', { n: 2 })`: the string at a dotted path of the current locale, with `{name}` filled in. */
export function t(path: string, params: Record<string, string | number> = {}): string {
  let node: unknown = messages[locale.value];
  for (const part of path.split('.')) node = (node as Record<string, unknown> | undefined)?.[part];
  const text = typeof node === 'string' ? node : path;
  return text.replace(/\{(\w+)\}/g, (_, k: string) => String(params[k] ?? ''));
}

export function formatTime(ms: number | null | undefined): string {
  if (!ms) return '—';
  return new Date(ms).toLocaleString(locale.value === 'en' ? 'en-GB' : 'zh-CN', { hour12: false });
}

export function formatAge(ms: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  const zhl = locale.value === 'zh-CN';
  if (s < 60) return zhl ? `${s} 秒` : `${s} s`;
  if (s < 3600) return zhl ? `${Math.floor(s / 60)} 分钟` : `${Math.floor(s / 60)} min`;
  if (s < 86400) return zhl ? `${Math.floor(s / 3600)} 小时 ${Math.floor((s % 3600) / 60)} 分` : `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return zhl ? `${Math.floor(s / 86400)} 天` : `${Math.floor(s / 86400)} d`;
}
