// A process-wide cache: the factory runs once per key, across hot reloads.
const store = globalThis as unknown as { __singletons?: Map<string, unknown> };

export function remember<T>(key: string, make: () => T): T {
  store.__singletons ??= new Map();
  if (!store.__singletons.has(key)) store.__singletons.set(key, make());
  return store.__singletons.get(key) as T;
}
