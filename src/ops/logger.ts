// Structured JSON logs (pino) with secrets redacted, and an adapter so Bolt logs through it too.
import type { Logger as BoltLogger, LogLevel } from '@slack/bolt';
import { type Logger, pino } from 'pino';

export const REDACTED_PATHS = [
  'token',
  'botToken',
  'appToken',
  'signingSecret',
  '*.token',
  '*.botToken',
  '*.appToken',
  '*.signingSecret',
  'headers.authorization',
  'headers["x-slack-signature"]',
];

export function createLogger(
  level = process.env.MTLS_DOCTOR_LOG_LEVEL ?? 'info',
  destination?: NodeJS.WritableStream,
): Logger {
  return pino(
    { name: 'mtls-doctor', level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } },
    destination ?? process.stderr,
  );
}

// Bolt's tokens appear in nothing it logs at warn and above; redact the shapes anyway.
const TOKEN = /\bx(?:ox[abpr]|app)-[A-Za-z0-9-]+/g;
const scrub = (args: unknown[]) =>
  args.map((a) => (typeof a === 'string' ? a.replace(TOKEN, '[redacted]') : a));

export function boltLogger(logger: Logger): BoltLogger {
  let level = logger.level;
  return {
    debug: (...args) => logger.debug(scrub(args).join(' ')),
    info: (...args) => logger.info(scrub(args).join(' ')),
    warn: (...args) => logger.warn(scrub(args).join(' ')),
    error: (...args) => logger.error(scrub(args).join(' ')),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level as LogLevel,
    setName: () => {},
  };
}
