import type { Labels } from '../snapshot/types.js';

/** Kubernetes equality selector: every key=value of the selector is on the object. Empty matches all. */
export function selectorMatches(selector: Labels | undefined, labels: Labels): boolean {
  if (!selector) return true;
  for (const key in selector) {
    if (labels[key] !== selector[key]) return false;
  }
  return true;
}

export function formatSelector(selector: Labels | undefined): string {
  if (!selector || Object.keys(selector).length === 0) return '(all workloads)';
  return Object.entries(selector)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}
