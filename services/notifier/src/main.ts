import { loadConfig } from '@ganzhi/config';
import { closeAll, openBus, openRegistry, runMain } from '@ganzhi/runtime';
import { buildNotifier } from './build';
import { NotifierConfigSchema, notifierOptions } from './config';
import { buildNotificationsHttp } from './http';
import { createSender } from './sender';
import { prepareNotifier } from './setup';

/** The notifier alone (distributed mode): one instance (it owns the outbox), consumer group `notifier`. */
runMain('notifier', async (logger, { metrics }) => {
    const config = loadConfig(NotifierConfigSchema, process.env);
    const registry = await openRegistry(config, logger);
    const setup = await prepareNotifier(config, registry, process.env);
    const bus = await openBus(config, logger, 'notifier', metrics);
    const notifier = buildNotifier(
      { bus, setup, logger, metrics, sender: createSender({ timeoutMs: config.GANZHI_NOTIFY_TIMEOUT_MS, smtpUrl: setup.smtpUrl, from: config.GANZHI_NOTIFY_SMTP_FROM }) },
      notifierOptions(config),
    );
    await notifier.start();
    const http = config.GANZHI_HTTP_PORT ? buildNotificationsHttp({ host: config.GANZHI_HTTP_HOST, port: config.GANZHI_HTTP_PORT }, { notifier, registry, logger }) : undefined;
    await http?.start();
    return { close: () => closeAll([registry, bus, notifier, http]), stats: () => notifier.stats() };
});

