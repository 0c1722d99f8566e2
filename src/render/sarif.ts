// SARIF 2.1.0 for CI pipelines (GitHub code scanning and others): one rule per finding code, one result
// per finding, located at the manifest file and line; gaps become tool execution notifications.
import type { Log, ReportingDescriptor, Result } from 'sarif';
import { CATALOGUE, type FindingCode } from '../analyzers/catalogue.js';
import { blockingGaps, type Diagnosis } from '../engine/diagnose.js';
import { formatRef } from '../snapshot/types.js';
import { capSarifResults } from './sarif-limits.js';

const LEVEL = { error: 'error', warning: 'warning', info: 'note' } as const;
const INFO_URI = 'https://github.com/mtls-doctor/mtls-doctor#finding-codes';

export function renderSarif(diagnosis: Diagnosis, version: string): string {
  const codes = [...new Set(diagnosis.findings.map((f) => f.code))].sort() as FindingCode[];
  const rules: ReportingDescriptor[] = codes.map((code) => ({
    id: code,
    name: code.replace(/(^|-)([a-z])/g, (_m, _d, ch: string) => ch.toUpperCase()),
    shortDescription: { text: CATALOGUE[code].title },
    defaultConfiguration: { level: LEVEL[CATALOGUE[code].severity] },
    helpUri: `${INFO_URI}`,
  }));
  const all: Result[] = diagnosis.findings.map((f) => ({
    ruleId: f.code,
    ruleIndex: codes.indexOf(f.code),
    level: LEVEL[f.severity],
    message: { text: `${f.message} Fix: ${f.fix}` },
    locations: [
      {
        ...(f.location
          ? {
              physicalLocation: {
                artifactLocation: { uri: toUri(f.location.file) },
                region: { startLine: Math.max(1, f.location.line) },
              },
            }
          : {}),
        logicalLocations: [{ fullyQualifiedName: formatRef(f.resource), kind: 'resource' }],
      },
    ],
    properties: {
      ...(f.path ? { path: f.path } : {}),
      why: f.why,
      remediations: f.remediations.map((r) => ({
        id: r.id,
        title: r.title,
        kubectl: r.kubectl,
        ...(r.appliedWith ? { appliedWith: r.appliedWith } : {}),
      })),
    },
  }));
  const { results, notifications } = capSarifResults(all, '`check -o json`');
  const log: Log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'mtls-doctor', version, informationUri: INFO_URI, rules } },
        invocations: [
          {
            executionSuccessful: blockingGaps(diagnosis).length === 0,
            toolExecutionNotifications: [
              ...diagnosis.gaps.map((g) => ({
                level: g.optional ? ('note' as const) : ('warning' as const),
                message: { text: `Could not check ${g.source}: ${g.reason}` },
              })),
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

function toUri(file: string): string {
  return file.split('\\').join('/').split('/').map(encodeURIComponent).join('/');
}
