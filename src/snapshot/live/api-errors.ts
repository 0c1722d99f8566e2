// Turns what the API server (or the network) answered into a retry decision and a plain-words gap.
import { ApiException } from '@kubernetes/client-node';

export interface ListTarget {
  /** `peerauthentications`, `pods`, ... */
  readonly resource: string;
  /** API group; '' for core. */
  readonly group: string;
  readonly verb: 'list' | 'get' | 'watch';
  readonly namespace?: string;
  readonly name?: string;
}

export type ApiFailure =
  | { readonly kind: 'forbidden'; readonly message: string }
  | { readonly kind: 'not-found'; readonly message: string }
  /** 410: the snapshot a continue token (or watch version) points into is gone; start the list over. */
  | { readonly kind: 'expired'; readonly message: string }
  | { readonly kind: 'unauthorized'; readonly message: string }
  | { readonly kind: 'transient'; readonly message: string }
  | { readonly kind: 'unreachable'; readonly message: string }
  /** A 2xx answer that is not the JSON asked for (a proxy's HTML login page, a list without items). */
  | { readonly kind: 'malformed'; readonly message: string }
  | { readonly kind: 'other'; readonly message: string };

/** A 2xx answer whose body is not JSON (kube-api's response check): `answered with text/html`. */
export class UnexpectedAnswerError extends Error {
  constructor(readonly contentType: string) {
    super(`answered with ${contentType || 'no content type'}`);
  }
}

export function classify(error: unknown): ApiFailure {
  if (error instanceof UnexpectedAnswerError) return { kind: 'malformed', message: error.message };
  if (error instanceof ApiException) {
    const status = statusMessage(error.body);
    const message = `HTTP ${error.code}${status ? `: ${status}` : ''}`;
    if (error.code === 403) return { kind: 'forbidden', message };
    if (error.code === 404) return { kind: 'not-found', message };
    if (error.code === 410) return { kind: 'expired', message };
    if (error.code === 401) return { kind: 'unauthorized', message };
    if (error.code === 429 || error.code >= 500) return { kind: 'transient', message };
    return { kind: 'other', message };
  }
  const e = error as { name?: string; code?: string; type?: string; message?: string };
  if (e?.name === 'AbortError' || e?.name === 'TimeoutError' || e?.type === 'aborted') {
    return { kind: 'transient', message: 'timed out' };
  }
  if (
    e?.code === 'ECONNREFUSED' ||
    e?.code === 'ENOTFOUND' ||
    e?.code === 'EHOSTUNREACH' ||
    e?.code === 'ECONNRESET'
  ) {
    return { kind: 'unreachable', message: connectionReason(e.code, e.message) };
  }
  const cause = (error as { cause?: unknown })?.cause;
  if (cause && cause !== error) return classify(cause);
  return { kind: 'other', message: e?.message ?? String(error) };
}

// node-fetch says "request to <url> failed, reason: connect ECONNREFUSED 127.0.0.1:6443"; the URL
// differs per resource, so keep only the reason: one cause reads as one line however many reads failed.
function connectionReason(code: string, message: string | undefined): string {
  const reason = /reason: (.*)$/.exec(message ?? '')?.[1] ?? message ?? '';
  return reason.includes(code) ? reason : `${code}${reason ? `: ${reason}` : ''}`;
}

function statusMessage(body: unknown): string | undefined {
  if (typeof body === 'string') {
    try {
      return statusMessage(JSON.parse(body));
    } catch {
      return body.slice(0, 200) || undefined;
    }
  }
  const message = (body as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? message : undefined;
}

/** `peerauthentications.security.istio.io list` (or `list` in namespace x): what RBAC must allow. */
export function describeTarget(target: ListTarget): string {
  const resource = target.group ? `${target.resource}.${target.group}` : target.resource;
  const where = target.name ? ` ${target.name}` : '';
  const scope = target.namespace ? ` (namespace ${target.namespace})` : ' (all namespaces)';
  return `${resource} ${target.verb}${where}${scope}`;
}

export function gapReason(failure: ApiFailure, target: ListTarget): string {
  switch (failure.kind) {
    case 'forbidden':
      return `forbidden (${failure.message}): the identity needs RBAC verb "${target.verb}" on resource "${target.resource}" in API group "${target.group || 'core'}"`;
    case 'unauthorized':
      return `not authenticated (${failure.message}): the credentials in the kubeconfig were refused`;
    case 'transient':
      return `the API server kept failing (${failure.message}) after retries`;
    case 'unreachable':
      return `the API server could not be reached (${failure.message})`;
    case 'expired':
      return `expired (${failure.message}): the API server no longer holds the version this read continued from`;
    case 'malformed':
      return `${failure.message}, not a Kubernetes ${target.verb === 'list' ? 'list' : 'object'}`;
    default:
      return failure.message;
  }
}
