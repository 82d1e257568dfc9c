import type { Aedes, Client } from 'aedes';
import { createMetrics, type Metrics } from '@ganzhi/metrics';
import type { Principal } from '@ganzhi/registry';
import type { GatewayStats } from './build';
import type { OutboundStats } from './outbound';

/**
 * The gateway's counting sites, in one place: each bumps the Prometheus series and the plain
 * figures `gateway.stats()` returns (for /api/stats and the bench).
 */
export function gatewayCounters(metrics: Metrics | undefined) {
  const m = metrics ?? createMetrics({ service: 'gateway', processMetrics: false });
  const stats: Omit<GatewayStats, keyof OutboundStats> = { accepted: 0, refusedPublish: 0, refusedSubscribe: 0, authFailures: 0, authThrottled: 0, authBusy: 0, oversize: 0, alertsPublished: 0 };
  return {
    stats,
    metrics: m,
    /** Starts the PUBACK clock for one authorized PUBLISH; call the result once it is on the bus. */
    publishTimer: () => m.mqttPubackSeconds.startTimer(),
    accepted(endTimer: () => void) {
      endTimer();
      stats.accepted++;
      m.mqttPublishes.inc({ result: 'accepted' });
    },
    busError() {
      m.mqttPublishes.inc({ result: 'bus_error' });
    },
    refusedPublish() {
      stats.refusedPublish++;
      m.mqttPublishes.inc({ result: 'forbidden' });
    },
    oversize(publish: boolean) {
      stats.oversize++;
      if (publish) m.mqttPublishes.inc({ result: 'too_large' });
    },
    refusedSubscribe() {
      stats.refusedSubscribe++;
      m.mqttSubscribeRefused.inc();
    },
    /** bad_credentials: checked and wrong; throttled: refused unchecked (too many failures); busy: too many checks waiting. */
    connectRefused(reason: 'bad_credentials' | 'throttled' | 'busy' | 'unavailable') {
      if (reason === 'bad_credentials') stats.authFailures++;
      if (reason === 'throttled') stats.authThrottled++;
      if (reason === 'busy') stats.authBusy++;
      m.mqttConnectRefused.inc({ reason });
    },
    alertDelivered() {
      stats.alertsPublished++;
      m.mqttAlertsDelivered.inc();
    },
    /** Follows authenticated connections by role (device, operator) through the broker's events. */
    watchConnections(broker: Aedes, principalOf: (client: Client) => Principal | undefined) {
      const roles = new WeakMap<Client, string>();
      for (const role of ['device', 'operator']) m.mqttConnections.set({ role }, 0);
      broker.on('client', (client) => {
        const role = principalOf(client)?.type;
        if (!role) return;
        roles.set(client, role);
        m.mqttConnections.inc({ role });
      });
      broker.on('clientDisconnect', (client) => {
        const role = roles.get(client);
        if (!role) return;
        roles.delete(client);
        m.mqttConnections.dec({ role });
      });
    },
  };
}
