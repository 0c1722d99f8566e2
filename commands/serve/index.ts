import type { App } from '@slack/bolt';
import type { BotDeps } from './deps.js';
import { registerFixRequests } from './fix-requests.js';
import { registerIncidentListener } from './incident-listener.js';
import { registerMtlsCommand } from './mtls-command.js';
import { registerRemediationAction } from './remediation-action.js';
import { ignoreSlackRetries } from './retries.js';

export function registerListeners(app: App, deps: BotDeps): void {
  app.use(ignoreSlackRetries(deps));
  registerMtlsCommand(app, deps);
  registerRemediationAction(app, deps);
  registerIncidentListener(app, deps);
  registerFixRequests(app, deps);
}
