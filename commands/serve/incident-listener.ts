// Incident channels: a message (from a person or an alert bot) showing an mTLS symptom for a service
// gets the diagnosis of that service's namespace in its thread. Throttled per channel, and one
// diagnosis per service per cooldown, so an alert storm gets one answer. Only namespaces the channel's
// access rule lists are diagnosed; an incident channel without a rule gets nothing.
import type { App } from '@slack/bolt';
import { escapeSlack, inlineCode, section, withLead } from '../../src/render/blocks.js';
import { channelMaySee, channelRule } from '../../src/slack/authorize.js';
import { findSymptom } from '../../src/slack/incident-symptoms.js';
import type { BotDeps } from './deps.js';
import { postWithThread } from './post.js';

export function registerIncidentListener(app: App, deps: BotDeps): void {
  const channels = new Set(deps.config.incidents?.channels ?? []);
  if (channels.size === 0) return;
  app.message(async ({ message, client }) => {
    const m = message as {
      channel?: string;
      ts?: string;
      text?: string;
      thread_ts?: string;
      attachments?: { text?: string; fallback?: string }[];
    };
    if (!m.channel || !channels.has(m.channel) || !m.ts || m.thread_ts) return;
    const text = [
      m.text ?? '',
      ...(m.attachments ?? []).flatMap((a) => [a.text ?? '', a.fallback ?? '']),
    ].join('\n');
    const symptom = findSymptom(text);
    if (!symptom || !(symptom.namespace || symptom.service)) return;
    const target = `${symptom.namespace ?? '?'}/${symptom.service ?? '*'}`;
    const visible = channelRule(deps.config, m.channel);
    if (!visible) {
      const access = channelMaySee(deps.config, m.channel, symptom.namespace);
      deps.logger.info(
        { channel: m.channel, target, reason: access.allowed ? undefined : access.reason },
        'incident diagnosis refused by access rules',
      );
      return;
    }
    const takenAt = Date.now();
    if (!deps.throttle.allow(m.channel, target, takenAt)) {
      deps.logger.info(
        { channel: m.channel, target },
        'incident diagnosis skipped (already answered or rate-limited)',
      );
      return;
    }
    const log = deps.logger.child({ channel: m.channel, messageTs: m.ts, target });
    try {
      const located = await deps.engine.incident(symptom, visible);
      // Without a namespace, an answer comes back only when a gap in the read may hide the service;
      // it is posted only where every namespace may be seen (the service could be in any).
      if (!located.namespace && !located.answer) {
        log.info('incident names no namespace or service found in the mesh');
        return;
      }
      const access = channelMaySee(deps.config, m.channel, located.namespace);
      if (!access.allowed || !located.answer) {
        log.info(
          { namespace: located.namespace, reason: access.allowed ? undefined : access.reason },
          'incident diagnosis refused by access rules',
        );
        return;
      }
      const service = symptom.service ? inlineCode(symptom.service) : '';
      const intro = `:mag: This looks like an mTLS symptom (${inlineCode(symptom.quote)}) for ${
        located.namespace
          ? `${service ? `${service} in ` : ''}namespace \`${escapeSlack(located.namespace)}\`. Diagnosis:`
          : `${service}:`
      }`;
      const { threadError } = await postWithThread(
        client,
        m.channel,
        withLead(located.answer.message, section(intro)),
        m.ts,
      );
      // The diagnosis landed; a refused continuation is worth a log line, not a second answer.
      if (threadError) log.warn({ threadError }, 'incident diagnosis: part of its thread was refused');
      deps.metrics.checks.inc({ command: 'incident', outcome: located.answer.verdict });
      log.info({ verdict: located.answer.verdict }, 'incident diagnosed');
    } catch (error) {
      // The answer did not get through (a refused post, a failed read): the next alert may try again.
      deps.throttle.release(m.channel, target, takenAt);
      deps.metrics.checks.inc({ command: 'incident', outcome: 'failed' });
      log.error({ err: (error as Error).message }, 'incident diagnosis failed');
    }
  });
}
