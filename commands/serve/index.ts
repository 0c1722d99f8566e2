import type { App } from '@slack/bolt';
import { burstTracker } from './burst.js';
import type { BotDeps } from './deps.js';
import { registerFixRequests } from './fix-requests.js';
import { registerIncidentListener } from './incident-listener.js';
import { registerMtlsCommand } from './mtls-command.js';
import { registerRemediationAction } from './remediation-action.js';
import { ignoreSlackRetries } from './retries.js';

export function registerListeners(app: App, deps: BotDeps): void {
  const burst = burstTracker();
  app.use(ignoreSlackRetries(deps));
  // After the retry filter: a redelivery of something already accepted is acked and dropped, no new work.
  app.use(burst.noteArrival);
  registerMtlsCommand(app, deps, burst.settled);
  registerRemediationAction(app, deps);
  registerIncidentListener(app, deps);
  registerFixRequests(app, deps);
}
