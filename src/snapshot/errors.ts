// Errors of the snapshot sources, in a module of their own so the CLI can tell them apart without
// loading the Kubernetes client.

/** The kubeconfig names something that does not exist (a context, a file): bad usage. */
export class KubeConfigError extends Error {}

/** Nothing could be read at all (no cluster configured, unreachable, credentials refused). */
export class ClusterUnavailableError extends Error {}
