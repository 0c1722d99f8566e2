// Polls a condition the code under test makes true asynchronously (a log line, a Slack call, a watch
// opened), failing with a message that says what never happened once `timeoutMs` has passed.
export async function until(
  condition: () => boolean | Promise<boolean>,
  message: string | (() => string),
  timeoutMs: number,
): Promise<void> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs) throw new Error(typeof message === 'string' ? message : message());
    await new Promise((r) => setTimeout(r, 50));
  }
}
