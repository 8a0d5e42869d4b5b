/** GET a JSON document; null on 404, throws on other errors or after `timeoutMs`. */
export async function fetchJson<T>(url: string, timeoutMs = 5000): Promise<T | null> {
  const res = await fetch(url, {
    headers: { accept: 'application/json', 'user-agent': 'readlists-api/1.x' },
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (res.status === 404) return null;
  if (!res.ok) throw new Error(`GET ${url} -> ${res.status}`);
  return (await res.json()) as T;
}
