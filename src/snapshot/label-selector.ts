// Kubernetes LabelSelector matching (matchLabels AND matchExpressions with In, NotIn, Exists,
// DoesNotExist), as the API server applies a webhook's namespaceSelector and objectSelector
// (k8s.io/apimachinery pkg/apis/meta/v1 LabelSelectorAsSelector). An absent selector matches everything.
import type { LabelSelector, Labels } from './types.js';

export function labelSelectorMatches(selector: LabelSelector | undefined, labels: Labels): boolean {
  if (!selector) return true;
  const matchLabels = selector.matchLabels;
  for (const key in matchLabels) {
    if (labels[key] !== matchLabels[key]) return false;
  }
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, key);
    const value = labels[key];
    switch (operator) {
      case 'In':
        if (!has || !values.includes(value as string)) return false;
        break;
      case 'NotIn':
        if (has && values.includes(value as string)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        // The API server rejects other operators; a selector we cannot read selects nothing.
        return false;
    }
  }
  return true;
}
