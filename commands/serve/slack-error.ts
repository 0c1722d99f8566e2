// What to tell a person when Slack refused a call: Slack's own code (not_in_channel,
// msg_blocks_too_long) when it gave one, since the client's message wraps it in boilerplate.

/** Slack's error code, when the error is Slack refusing the call. */
export function slackCodeOf(error: unknown): string | undefined {
  const code = (error as { data?: { error?: unknown } } | undefined)?.data?.error;
  return typeof code === 'string' && code ? code : undefined;
}

export function slackErrorOf(error: unknown): string {
  return slackCodeOf(error) ?? (error instanceof Error ? error.message : String(error)).slice(0, 300);
}
