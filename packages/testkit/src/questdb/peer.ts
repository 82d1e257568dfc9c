import { findDockerEngine } from '../kafka/docker';

export type QuestDbPeerKind = 'env' | 'testcontainers';

export interface QuestDbPeer {
  /** HTTP endpoint for ILP (/write) and SQL (/exec), e.g. http://127.0.0.1:9000. */
  readonly url: string;
  readonly kind: QuestDbPeerKind;
  /** One line saying which peer this is, for test output. */
  readonly description: string;
  /**
   * Restarts the server (testcontainers only): it is unreachable meanwhile. Resolves to the URL
   * it answers on afterwards (the mapped port can change), once it answers again.
   */
  readonly restart?: () => Promise<string>;
  stop(): Promise<void>;
}

export type QuestDbPeerStart =
  | { readonly peer: QuestDbPeer; readonly reason?: undefined }
  | { readonly peer: undefined; readonly reason: string };

export interface QuestDbPeerOptions {
  /** Defaults to process.env. Reads QUESTDB_URL, QUESTDB_IMAGE, DOCKER_HOST. */
  readonly env?: NodeJS.ProcessEnv;
  /** Image for testcontainers (default QUESTDB_IMAGE or questdb/questdb:9.2.0). */
  readonly image?: string;
}

export const DEFAULT_QUESTDB_IMAGE = 'questdb/questdb:9.2.0';

/**
 * A QuestDB for tests, the first available of:
 *  1. `QUESTDB_URL`, an existing server (left running, its tables are the caller's to drop);
 *  2. a testcontainers QuestDB 9, when a Docker engine answers `/_ping` (checked in ~1.5 s).
 * Resolves `{ peer: undefined, reason }` otherwise; suites then skip and print the reason.
 */
export async function startQuestDbPeer(options: QuestDbPeerOptions = {}): Promise<QuestDbPeerStart> {
  const env = options.env ?? process.env;
  const url = env.QUESTDB_URL?.trim();
  if (url) {
    return { peer: { url, kind: 'env', description: `QUESTDB_URL=${url}`, stop: async () => undefined } };
  }
  const engine = await findDockerEngine(env);
  if (!engine) {
    return { peer: undefined, reason: 'QUESTDB_URL is not set and no Docker engine answers (DOCKER_HOST or /var/run/docker.sock)' };
  }
  const image = options.image ?? env.QUESTDB_IMAGE ?? DEFAULT_QUESTDB_IMAGE;
  try {
    return { peer: await startContainer(image, engine) };
  } catch (err) {
    return {
      peer: undefined,
      reason: `QUESTDB_URL is not set and testcontainers ${image} failed to start on ${engine}: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
}

async function startContainer(image: string, engine: string): Promise<QuestDbPeer> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const container = await new GenericContainer(image)
    .withExposedPorts(9000)
    .withEnvironment({ QDB_TELEMETRY_ENABLED: 'false' })
    // /settings answers once the HTTP server is up (the ILP client reads it too)
    .withWaitStrategy(Wait.forHttp('/settings', 9000).forStatusCode(200))
    .withStartupTimeout(120_000)
    .start();
  const urlOf = (): string => `http://${container.getHost()}:${container.getMappedPort(9000)}`;
  return {
    get url() {
      return urlOf();
    },
    kind: 'testcontainers',
    description: `testcontainers ${image} on ${engine} at ${urlOf()}`,
    restart: async () => {
      await container.restart({ timeout: 10_000 }); // ms: SIGTERM, then SIGKILL after 10 s
      return urlOf();
    },
    stop: async () => {
      await container.stop();
    },
  };
}

/** Prints which peer a suite uses, or why it is skipped (never skip silently). */
export function reportQuestDbPeer(suite: string, start: QuestDbPeerStart): void {
  if (start.peer) console.info(`[questdb] ${suite}: using ${start.peer.description}`);
  else console.warn(`[questdb] ${suite}: SKIPPED, ${start.reason}`);
}
