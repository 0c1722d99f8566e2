// What to tell a person when Slack refused a call: Slack's own code (not_in_channel,
// msg_blocks_too_long) when it gave one, since the client's message wraps it in boilerplate.

export function slackErrorOf(error: unknown): string {
  const code = (error as { data?: { error?: unknown } } | undefined)?.data?.error;
  if (typeof code === 'string' && code) return code;
  return (error instanceof Error ? error.message : String(error)).slice(0, 300);
}
