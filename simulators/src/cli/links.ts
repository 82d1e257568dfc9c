import type { LinkPorts } from '../run/links';
import { num } from './args';

/** CLI options for the gateway's protocol listeners (defaults: the ports `npm start` opens). */
export const LINK_OPTIONS = {
  'hj212-port': { type: 'string' },
  'sl651-port': { type: 'string' },
  'gbt26875-port': { type: 'string' },
  'gbt26875-udp-port': { type: 'string' },
} as const;

export const LINK_USAGE = `  --hj212-port <n>          HJ 212 over TCP listener, for devices with transport "tcp" (default 6212)
  --sl651-port <n>          SL 651 over TCP listener (default 6651)
  --gbt26875-port <n>       GB/T 26875.3 over TCP listener, for UITDs (default 6875)
  --gbt26875-udp-port <n>   GB/T 26875.3 over UDP listener, for UITDs with transport "udp" (default 6875)`;

/** The listeners' host (the MQTT URL's) and ports from parsed options. */
export function linksFrom(values: Record<string, string | boolean | undefined>, url: string): { host: string; ports: LinkPorts } {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
  return {
    host,
    ports: {
      hj212: num(values['hj212-port'], 'hj212-port', 6212, 1, 65535),
      sl651: num(values['sl651-port'], 'sl651-port', 6651, 1, 65535),
      gbt26875Tcp: num(values['gbt26875-port'], 'gbt26875-port', 6875, 1, 65535),
      gbt26875Udp: num(values['gbt26875-udp-port'], 'gbt26875-udp-port', 6875, 1, 65535),
    },
  };
}
