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
  // Bolt's web client and socket retry on their own and say so on every attempt ("http request failed",
  // "Failed to retrieve a new WSS URL"); the bot logs the state change itself, so a line repeated within
  // a minute is counted, not written again.
  let last = { text: '', at: 0, suppressed: 0 };
  const write =
    (method: 'debug' | 'info' | 'warn' | 'error') =>
    (...args: unknown[]) => {
      // Bolt calls debug whatever the level: only what pino writes counts as the last line.
      if (!logger.isLevelEnabled(method)) return;
      const text = scrub(args).join(' ');
      const now = Date.now();
      if (text === last.text && now - last.at < 60_000) {
        last.suppressed++;
        return;
      }
      const suppressed = text === last.text ? last.suppressed : 0;
      last = { text, at: now, suppressed: 0 };
      logger[method](suppressed ? { repeatedSinceLastLine: suppressed } : {}, text);
    };
  return {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level as LogLevel,
    setName: () => {},
  };
}
