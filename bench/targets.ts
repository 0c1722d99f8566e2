// One table of the issue's targets: each figure, what this run measured, the target, pass or fail.
// Figures without a target (context only) are left out of the table and stay in the detail list.

export interface TargetRow {
  readonly figure: string;
  readonly measured: string;
  readonly target: string;
  readonly pass: boolean;
}

export const atMost = (figure: string, value: number, limit: number, unit: string): TargetRow => ({
  figure,
  measured: `${value.toFixed(unit === '×' ? 2 : 0)}${unit === '×' ? '×' : ` ${unit}`}`,
  target: `≤ ${limit}${unit === '×' ? '×' : ` ${unit}`}`,
  pass: value <= limit,
});

export const below = (figure: string, value: number, limit: number, unit: string): TargetRow => ({
  ...atMost(figure, value, limit, unit),
  target: `< ${limit} ${unit}`,
  pass: value < limit,
});

export function targetTable(rows: readonly TargetRow[]): string[] {
  return [
    '| figure | measured | target | result |',
    '|---|---|---|---|',
    ...rows.map((r) => `| ${r.figure} | ${r.measured} | ${r.target} | ${r.pass ? 'pass' : '**fail**'} |`),
  ];
}
