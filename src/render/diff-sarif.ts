// `diff -o sarif`: one result per newly broken call, and per new call that fails from the start, located
// at the file and line of the changed object that caused it (an added or modified object where it is
// now; a removed one where it was).
import type { Log, Result } from 'sarif';
import type { ImpactPair, ImpactResult, NewPair } from '../engine/impact.js';
import { type ChangedObject, changedLabel } from '../impact/changed-objects.js';
import { blockingImpactGaps } from './diff-summary.js';
import { capSarifResults } from './sarif-limits.js';

const INFO_URI = 'https://github.com/mtls-doctor/mtls-doctor#reviewing-mesh-changes-in-ci';
const RULE_ID = 'mtls-call-broken';
const NEW_RULE_ID = 'mtls-new-call-fails';

/** The cause to point at: a present object with a location first, then any with a location. */
export function primaryCause(pair: NewPair): ChangedObject | undefined {
  return (
    pair.causes.find((c) => c.location && c.change !== 'removed') ??
    pair.causes.find((c) => c.location) ??
    pair.causes[0]
  );
}

function toUri(file: string): string {
  return file.split('\\').join('/').split('/').map(encodeURIComponent).join('/');
}

/** One result for a pair, at its cause. */
function pairResult(p: NewPair, rule: 0 | 1, what: string, before?: ImpactPair['before']): Result {
  const cause = primaryCause(p);
  return {
    ruleId: rule === 0 ? RULE_ID : NEW_RULE_ID,
    ruleIndex: rule,
    level: 'error',
    message: {
      text: `${p.from} → ${p.to} ${what}: ${p.reason}, ${p.symptom}${before ? ` (before: ${before.reason})` : ''}.${cause ? ` Caused by ${cause.change} ${changedLabel(cause)}.` : ''}`,
    },
    locations: [
      {
        ...(cause?.location
          ? {
              physicalLocation: {
                artifactLocation: { uri: toUri(cause.location.file) },
                region: { startLine: Math.max(1, cause.location.line) },
              },
            }
          : {}),
        logicalLocations: [{ fullyQualifiedName: `${p.from} -> ${p.to}`, kind: 'call' }],
      },
    ],
    partialFingerprints: { call: `${p.from}->${p.to}` },
    properties: {
      ...(before ? { before } : {}),
      after: { client: p.client, server: p.server, reason: p.reason, symptom: p.symptom },
      causes: p.causes.map(changedLabel),
    },
  };
}

export function renderImpactSarif(
  result: ImpactResult,
  version: string,
  notes: readonly string[] = [],
): string {
  const all: Result[] = [
    ...result.broken.map((p) => pairResult(p, 0, 'breaks', p.before)),
    ...result.newFailing.map((p) => pairResult(p, 1, 'is new and fails from the start')),
  ];
  const { results, notifications } = capSarifResults(all, '`diff -o json`');
  const gaps = blockingImpactGaps(result);
  const log: Log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'mtls-doctor',
            version,
            informationUri: INFO_URI,
            rules: [
              {
                id: RULE_ID,
                name: 'MtlsCallBroken',
                shortDescription: { text: 'A call that works before the change fails after it' },
                defaultConfiguration: { level: 'error' },
                helpUri: INFO_URI,
              },
              {
                id: NEW_RULE_ID,
                name: 'MtlsNewCallFails',
                shortDescription: {
                  text: 'A call the change adds (a new client or service port) fails from the start',
                },
                defaultConfiguration: { level: 'error' },
                helpUri: INFO_URI,
              },
            ],
          },
        },
        invocations: [
          {
            executionSuccessful: !result.tooBroad && gaps.length === 0,
            toolExecutionNotifications: [
              ...(result.tooBroad
                ? [{ level: 'warning' as const, message: { text: result.tooBroad.message } }]
                : []),
              ...gaps.map((g) => ({
                level: 'warning' as const,
                message: { text: `Could not check ${g.source}: ${g.reason}` },
              })),
              ...notes.map((text) => ({ level: 'note' as const, message: { text } })),
              ...notifications,
            ],
          },
        ],
        results,
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}
