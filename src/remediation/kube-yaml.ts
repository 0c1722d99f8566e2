// YAML for people to hand to kubectl or commit to Git. kubectl, Argo CD and Flux read YAML through
// sigs.k8s.io/yaml (go-yaml, YAML 1.1), where unquoted yes/no/on/off/y/n, 1_000 and dates are not
// strings: a label value `yes` written plainly makes `kubectl apply` fail. Emitting YAML 1.1 quotes them.
import { stringify } from 'yaml';

export function toKubeYaml(value: unknown): string {
  return stringify(value, { version: '1.1' });
}
