// The Kubernetes requests a remediation makes, and what their failures mean: one line saying what
// could not be done and why (never a stack trace), and, for a write, whether it may still have been
// carried out: a write the API server refused did not happen, one that got no answer may have.
import { ApiException, type KubernetesObject, type KubernetesObjectApi } from '@kubernetes/client-node';

export class RemediationError extends Error {
  /**
   * True when the request failed without an answer that says it was not carried out (a timeout, a
   * connection reset, an abort, any 5xx): a write may have landed all the same.
   */
  readonly unanswered: boolean;

  constructor(message: string, unanswered = false) {
    super(message);
    this.unanswered = unanswered;
  }
}

export type Obj = KubernetesObject & Record<string, unknown>;

/** The object as it is now; undefined when there is none. */
/** The object a target names, as the object API reads, patches or deletes it. */
export function objectIdentity(target: {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
}): Obj {
  const { apiVersion, kind, namespace, name } = target;
  return { apiVersion, kind, metadata: { name, ...(namespace ? { namespace } : {}) } };
}

export async function readObject(api: KubernetesObjectApi, spec: Obj): Promise<Obj | undefined> {
  try {
    return (await api.read(spec as never)) as Obj;
  } catch (error) {
    if (error instanceof ApiException && error.code === 404) return undefined;
    throw explain(error, `read ${spec.kind} ${spec.metadata?.namespace ?? ''}/${spec.metadata?.name}`, 'get');
  }
}

/** Runs one request; a failure becomes a RemediationError saying what (`what`) and which RBAC `verb`. */
export async function call<T>(what: string, verb: string, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    throw explain(error, what, verb);
  }
}

// Errors of a connection that was never made: the request cannot have reached the API server.
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** A RemediationError for what the API server or the network said; any other error as it is. */
export function explain(error: unknown, what: string, verb: string): Error {
  if (error instanceof RemediationError) return error;
  if (!(error instanceof ApiException)) {
    // Network failures (refused, reset, DNS) and the request timeout: one line, not a stack trace.
    const e = error as Error & { code?: string; type?: string; cause?: { code?: string } };
    if (e.name === 'TimeoutError' || e.name === 'AbortError' || e.type === 'aborted')
      return new RemediationError(
        `cannot ${what}: the API server did not answer in time (request timeout; raise it if the server is just slow)`,
        true,
      );
    const code = e.code ?? e.cause?.code;
    if (e.name === 'FetchError' || e.type === 'system' || code)
      return new RemediationError(`cannot ${what}: ${code ?? e.message}`, !NOT_CONNECTED.has(code ?? ''));
    return error as Error;
  }
  const body = typeof error.body === 'string' ? safeParse(error.body) : error.body;
  const status = body as { message?: string; reason?: string } | undefined;
  const message = status?.message ?? '';
  if (error.code === 409)
    return new RemediationError(
      `cannot ${what}: it changed since it was read (${message || 'conflict'}); run the check again`,
    );
  if (error.code === 403)
    return new RemediationError(
      `cannot ${what}: forbidden (${message}); the identity needs RBAC to ${verb} this resource`,
    );
  if (error.code === 422 || error.code === 400)
    return new RemediationError(`cannot ${what}: the API server rejected the change (${message})`);
  // The API conventions call the outcome of a 500 unknown, and no 5xx (the API server's, or a proxy's
  // 502/503/504 in front of it) is documented as "not carried out": a write may have landed.
  const said = message ? ` ${message}` : '';
  // Nor does any 5xx say the work stopped: a 500 "etcdserver: request timed out" can still commit.
  return new RemediationError(`cannot ${what}: HTTP ${error.code}${said}`, error.code >= 500);
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
