// A map of lists: the index shape of most of the mesh's lookups (workloads by namespace or label,
// objects by identity, failures by reason).

/** Appends `value` to the list under `key`, starting the list on first use. */
export function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
