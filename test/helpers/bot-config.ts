// The smallest bot configuration for in-process tests of incident channels: one channel C0INC that sees
// every namespace, no cluster, no approvers, an in-memory store, Slack at the fake's URL.
import type { BotConfig } from '../../src/config.js';

export function incidentBotConfig(slackUrl: string, botToken: string, signingSecret: string): BotConfig {
  return {
    port: 0,
    opsPort: 0,
    slack: { botToken, signingSecret, apiUrl: `${slackUrl}/api/` },
    access: { channels: { C0INC: ['*'] } },
    kubernetes: undefined,
    digests: [],
    storePath: ':memory:',
    approvers: { users: [], requestTtlMs: 60_000 },
    incidents: { channels: ['C0INC'] },
  } as BotConfig;
}
