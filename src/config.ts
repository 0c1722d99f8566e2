// Configuration of the Slack bot: environment variables and an optional YAML file, validated at start
// with a message that names each bad key. Secrets are read here and never printed.
import { readFileSync } from 'node:fs';
import { Cron } from 'croner';
import { parse } from 'yaml';
import * as z from 'zod';
import { channelMaySee } from './slack/authorize.js';

export const fileSchema = z
  .object({
    port: z.number().int().min(1).max(65535).optional().describe('HTTP port for Slack requests (PORT wins).'),
    opsPort: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .optional()
      .describe('Port of health and metrics (OPS_PORT wins).'),
    slack: z
      .object({
        apiUrl: z.url().optional().describe('Slack Web API base URL (SLACK_API_URL wins).'),
      })
      .strict()
      .optional(),
    access: z
      .object({
        /** Slack channel id (or `*` for any channel) → namespaces it may check (`*` for all). */
        channels: z
          .record(
            z.string().min(1),
            z.array(z.string().regex(/^(\*|[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)$/, 'a namespace name or *')),
          )
          .describe(
            'Slack channel id (or "*" for any channel) → namespaces it may check ("*" for all). A channel without a rule is refused.',
          ),
      })
      .strict()
      .optional(),
    istioctl: z.string().optional().describe('istioctl binary for cross-checks (default: istioctl on PATH).'),
    digests: z
      .array(
        z
          .object({
            channel: z.string().min(1).describe('Slack channel id that receives the digest.'),
            cron: z
              .string()
              .refine(validCron, 'not a valid cron expression (5 or 6 fields, e.g. "0 9 * * 1-5")')
              .describe('When, as a cron expression.'),
            timezone: z
              .string()
              .refine(validTimezone, 'not a known IANA time zone')
              .optional()
              .describe('IANA time zone of the cron expression (default UTC).'),
          })
          .strict(),
      )
      .optional()
      .describe(
        'Scheduled posture digests, one entry per channel and time. A digest shows every namespace: its channel\'s access rule must be "*" (checked at start and before each post).',
      ),
    incidents: z
      .object({
        channels: z
          .array(z.string().min(1))
          .describe('Channel ids whose messages (people or alert bots) are watched for mTLS symptoms.'),
        cooldownMinutes: z
          .number()
          .int()
          .positive()
          .optional()
          .describe('One diagnosis per service per channel within this time (default 30).'),
      })
      .strict()
      .optional(),
    watch: z
      .object({
        channels: z
          .array(z.string().min(1))
          .describe(
            'Channel ids that get an alert when a change in the live cluster turns ok client→service pairs into failures (each sees only the namespaces its access rule allows).',
          ),
        debounceSeconds: z
          .number()
          .positive()
          .optional()
          .describe('Quiet time that ends a burst of changes: one alert per burst (default 5).'),
      })
      .strict()
      .optional(),
    store: z
      .object({
        path: z
          .string()
          .min(1)
          .describe(
            'SQLite file for digest history, leases, fix requests and the audit log (default: in memory, lost on restart; required when approvers.users is set).',
          ),
      })
      .strict()
      .optional(),
    approvers: z
      .object({
        users: z
          .array(z.string().min(1))
          .describe('Slack user ids who may approve fixes (never their own request).'),
        requestTtlMinutes: z
          .number()
          .int()
          .positive()
          .optional()
          .describe('A fix request expires after this long (default 30).'),
      })
      .strict()
      .optional(),
    prometheus: z
      .object({
        url: z.url().describe('Prometheus base URL: the digest lists clients seen sending plaintext.'),
      })
      .strict()
      .optional(),
    kubernetes: z
      .object({
        context: z.string().optional().describe('kubeconfig context (default: current, or in-cluster).'),
        kubeconfig: z
          .string()
          .optional()
          .describe('kubeconfig file (default: $KUBECONFIG, ~/.kube/config, in-cluster).'),
        requestTimeoutMs: z
          .number()
          .int()
          .positive()
          .optional()
          .describe('Timeout of each Kubernetes API request (default 10000).'),
        readCaSecret: z
          .boolean()
          .optional()
          .describe(
            'Also read the CA Secrets (cacerts, istio-ca-secret). RISK: they hold the CA private key. Default false.',
          ),
      })
      .strict()
      .optional(),
  })
  .strict();

export type FileConfig = z.infer<typeof fileSchema>;

function validCron(expression: string): boolean {
  try {
    new Cron(expression, { paused: true }).stop();
    return true;
  } catch {
    return false;
  }
}

function validTimezone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Environment variables the bot reads (documented in the README's generated reference). */
export const ENVIRONMENT: readonly { name: string; description: string }[] = [
  { name: 'SLACK_BOT_TOKEN', description: 'Bot token (xoxb-...). Required.' },
  { name: 'SLACK_APP_TOKEN', description: 'App-level token (xapp-..., connections:write): Socket Mode.' },
  {
    name: 'SLACK_SIGNING_SECRET',
    description: 'Signing secret: HTTP mode, every request signature verified.',
  },
  {
    name: 'SLACK_API_URL',
    description: "Slack Web API base URL (default Slack's own); for gateways and tests.",
  },
  { name: 'PORT', description: 'HTTP port for Slack requests (default 3000).' },
  { name: 'OPS_PORT', description: 'Port of /healthz, /readyz and /metrics (default 9090).' },
  { name: 'MTLS_DOCTOR_CONFIG', description: 'Path of the YAML configuration file (or --config).' },
  { name: 'MTLS_DOCTOR_LOG_LEVEL', description: 'Log level: trace, debug, info (default), warn, error.' },
];

export interface BotConfig {
  readonly port: number;
  /** Health (/healthz, /readyz) and Prometheus /metrics. */
  readonly opsPort: number;
  readonly slack: {
    readonly botToken: string;
    readonly signingSecret?: string;
    readonly appToken?: string;
    readonly apiUrl?: string;
  };
  readonly access: { readonly channels: Readonly<Record<string, readonly string[]>> };
  readonly istioctl?: string;
  readonly kubernetes: FileConfig['kubernetes'];
  readonly digests: NonNullable<FileConfig['digests']>;
  readonly incidents?: FileConfig['incidents'];
  /** Change alerts of the live model (serve against a live cluster). */
  readonly watch?: FileConfig['watch'];
  readonly storePath: string;
  readonly prometheusUrl?: string;
  readonly approvers: { readonly users: readonly string[]; readonly requestTtlMs: number };
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export function loadConfig(env: NodeJS.ProcessEnv, file?: string): BotConfig {
  const problems: string[] = [];
  let fromFile: FileConfig = {};
  if (file) {
    let raw: unknown;
    try {
      raw = parse(readFileSync(file, 'utf8')) ?? {};
    } catch (error) {
      throw new ConfigError([`${file}: ${(error as Error).message.split('\n')[0]}`]);
    }
    const parsed = fileSchema.safeParse(raw);
    if (parsed.success) fromFile = parsed.data;
    else
      for (const issue of parsed.error.issues)
        problems.push(`${file}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  const botToken = env.SLACK_BOT_TOKEN ?? '';
  if (!botToken) problems.push('SLACK_BOT_TOKEN is not set (the bot token, xoxb-...)');
  else if (!botToken.startsWith('xoxb-'))
    problems.push('SLACK_BOT_TOKEN does not look like a bot token (expected xoxb-...)');
  const signingSecret = env.SLACK_SIGNING_SECRET || undefined;
  const appToken = env.SLACK_APP_TOKEN || undefined;
  if (!signingSecret && !appToken) {
    problems.push(
      'set SLACK_APP_TOKEN (Socket Mode) or SLACK_SIGNING_SECRET (HTTP, with request signature verification)',
    );
  }
  if (appToken && !appToken.startsWith('xapp-'))
    problems.push('SLACK_APP_TOKEN does not look like an app-level token (expected xapp-...)');
  const port = env.PORT !== undefined ? Number(env.PORT) : (fromFile.port ?? 3000);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    problems.push(`PORT must be a port number (got "${env.PORT}")`);
  const opsPort = env.OPS_PORT !== undefined ? Number(env.OPS_PORT) : (fromFile.opsPort ?? 9090);
  if (!Number.isInteger(opsPort) || opsPort < 0 || opsPort > 65535) {
    problems.push(`OPS_PORT must be a port number (got "${env.OPS_PORT}")`);
  }
  const apiUrl = env.SLACK_API_URL || fromFile.slack?.apiUrl;
  if (apiUrl && !/^https?:\/\//.test(apiUrl)) problems.push('SLACK_API_URL must be an http(s) URL');
  const storePath = fromFile.store?.path ?? ':memory:';
  const approvers = fromFile.approvers?.users ?? [];
  // Approved changes are audited and can be rolled back; that record must outlive a restart.
  if (approvers.length > 0 && storePath === ':memory:')
    problems.push(
      'approvers.users is set but store.path keeps fix requests and the audit log in memory, lost on restart: set store.path to a file (in the image: /data/mtls-doctor.db)',
    );
  const access = { channels: fromFile.access?.channels ?? {} };
  problems.push(...digestChannelProblems(fromFile.digests ?? [], access));
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    port,
    opsPort,
    slack: { botToken, signingSecret, appToken, apiUrl },
    access,
    istioctl: fromFile.istioctl,
    kubernetes: fromFile.kubernetes,
    digests: fromFile.digests ?? [],
    incidents: fromFile.incidents,
    watch: fromFile.watch,
    storePath,
    prometheusUrl: fromFile.prometheus?.url,
    approvers: {
      users: approvers,
      requestTtlMs: (fromFile.approvers?.requestTtlMinutes ?? 30) * 60_000,
    },
  };
}

// A digest shows the whole mesh (its score, every namespace's mode and next step, clients without a
// proxy anywhere), so, like `/mtls digest`, it may only go to a channel whose rule is "*". Refused here
// so a narrowed rule is not silently widened by a schedule; the bot asks again before each post.
function digestChannelProblems(
  digests: NonNullable<FileConfig['digests']>,
  access: BotConfig['access'],
): string[] {
  return digests.flatMap((digest, i) => {
    const decision = channelMaySee({ access }, digest.channel, undefined);
    return decision.allowed
      ? []
      : [`digests.${i}.channel: the digest shows every namespace, but ${decision.reason}`];
  });
}
