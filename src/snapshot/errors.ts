// Errors of the snapshot sources, in a module of their own so the CLI can tell them apart (and map
// them to exit codes in one place) without loading the Kubernetes client or the YAML parsers.

/** The kubeconfig names something that does not exist (a context, a file): bad usage. */
export class KubeConfigError extends Error {}

/** Nothing could be read at all (no cluster configured, unreachable, credentials refused). */
export class ClusterUnavailableError extends Error {}

/** Bad input: names the file and line; the CLI exits 2 with this message. */
export class ManifestError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly detail: string,
    /** When the input as a whole is wrong (no objects at all), a sentence instead of file:line. */
    message = `${file}:${line}: ${detail}`,
  ) {
    super(message);
    this.name = 'ManifestError';
  }
}
