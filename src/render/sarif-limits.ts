// GitHub code scanning rejects a SARIF run of more than 25,000 results (and shows only the top 5,000
// by severity): https://docs.github.com/en/code-security/code-scanning/troubleshooting-sarif-uploads/results-exceed-limit
// A capped run keeps the most severe results and says, as a notification, how many it left out.
import type { Notification, Result } from 'sarif';

export const SARIF_MAX_RESULTS = 25_000;

const RANK: Record<string, number> = { error: 0, warning: 1, note: 2, none: 3 };

export interface CappedResults {
  readonly results: Result[];
  readonly notifications: Notification[];
}

/** At most `max` results, the most severe first chosen, kept in their original order. */
export function capSarifResults(
  results: Result[],
  fullOutput: string,
  max = SARIF_MAX_RESULTS,
): CappedResults {
  if (results.length <= max) return { results, notifications: [] };
  const kept = results
    .map((result, index) => ({ result, index, rank: RANK[result.level ?? 'warning'] ?? 1 }))
    .sort((a, b) => a.rank - b.rank || a.index - b.index)
    .slice(0, max)
    .sort((a, b) => a.index - b.index)
    .map((k) => k.result);
  const omitted = results.length - max;
  return {
    results: kept,
    notifications: [
      {
        level: 'warning',
        message: {
          text: `${omitted} of ${results.length} results left out: GitHub code scanning rejects a run of more than ${max} results. The most severe ${max} are kept; ${fullOutput} lists them all.`,
        },
      },
    ],
  };
}
