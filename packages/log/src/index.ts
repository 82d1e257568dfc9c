import { pino, type Logger as PinoLogger, type LoggerOptions, type DestinationStream } from 'pino';

/**
 * The logger type packages depend on. Only services construct one (with `createLogger`);
 * packages receive it, never import pino themselves.
 */
export type Logger = PinoLogger;

export interface LogOptions {
  level?: string;
  name?: string;
  /** Where to write; defaults to stdout. Tests pass a stream to assert on parsed records. */
  destination?: DestinationStream;
}

export function createLogger(options: LogOptions = {}): Logger {
  const opts: LoggerOptions = {
    level: options.level ?? 'info',
    base: { pid: process.pid, ...(options.name ? { name: options.name } : {}) },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return options.destination ? pino(opts, options.destination) : pino(opts);
}

/** A logger that writes nothing: for tests and benchmarks. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
