// Calls to MyTSDB's HTTP API. Every URL is relative to the page's
// <base href>, which the server sets to the route prefix, so the UI works
// at / and behind a reverse proxy under a path alike.

export interface ApiSuccess<T> {
  data: T;
  warnings: string[];
  infos: string[];
}

/** An answer that is not a success: the API's own message when it gave one. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly errorType = '',
  ) {
    super(message);
  }
}

/** The base URL of the server (origin plus route prefix), without a trailing slash. */
export function serverBase(): string {
  return new URL('.', document.baseURI).href.replace(/\/$/, '');
}

/** An absolute URL for an API path such as "api/v1/query". */
export function apiUrl(path: string, params?: Record<string, string | string[]>): string {
  const url = new URL(path.replace(/^\//, ''), document.baseURI);
  for (const [name, value] of Object.entries(params ?? {})) {
    for (const v of Array.isArray(value) ? value : [value]) url.searchParams.append(name, v);
  }
  return url.href;
}

async function readAnswer<T>(response: Response): Promise<ApiSuccess<T>> {
  const text = await response.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    const first = text.trim().split('\n')[0] || response.statusText;
    throw new ApiError(`HTTP ${response.status}: ${first}`, response.status);
  }
  if (!response.ok || body.status !== 'success') {
    throw new ApiError(body.error ?? `HTTP ${response.status}`, response.status, body.errorType ?? '');
  }
  return { data: body.data as T, warnings: body.warnings ?? [], infos: body.infos ?? [] };
}

/** GET on a Prometheus-shaped endpoint ({status, data, error, warnings}). */
export async function apiGet<T>(
  path: string,
  params?: Record<string, string | string[]>,
  signal?: AbortSignal,
): Promise<ApiSuccess<T>> {
  const response = await fetch(apiUrl(path, params), { signal, headers: { Accept: 'application/json' } });
  return readAnswer<T>(response);
}

/** POST of a form, for queries too long for a URL. */
export async function apiPostForm<T>(
  path: string,
  params: Record<string, string>,
  signal?: AbortSignal,
): Promise<ApiSuccess<T>> {
  const response = await fetch(apiUrl(path), {
    method: 'POST',
    body: new URLSearchParams(params),
    signal,
    headers: { Accept: 'application/json' },
  });
  return readAnswer<T>(response);
}

// ---- Prometheus's result shapes ---------------------------------------------

export type Labels = Record<string, string>;
export type SamplePair = [number, string];

export interface VectorSample {
  metric: Labels;
  value: SamplePair;
}
export interface MatrixSeries {
  metric: Labels;
  values: SamplePair[];
}

export type QueryResult =
  | { resultType: 'vector'; result: VectorSample[] }
  | { resultType: 'matrix'; result: MatrixSeries[] }
  | { resultType: 'scalar'; result: SamplePair }
  | { resultType: 'string'; result: SamplePair };

/**
 * A call to the built-in Alertmanager's API v2, which answers bare JSON
 * (no envelope) and errors as text. 404: no built-in Alertmanager runs.
 */
export async function alertmanagerCall<T>(
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
  signal?: AbortSignal,
): Promise<T> {
  const response = await fetch(apiUrl(path), {
    method,
    signal,
    headers: body === undefined ? { Accept: 'application/json' } : { Accept: 'application/json', 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) {
    let message = text.trim();
    try {
      const parsed = JSON.parse(text);
      message = typeof parsed === 'string' ? parsed : (parsed.error ?? parsed.message ?? message);
    } catch {
      // The text itself is the message.
    }
    throw new ApiError(message || `HTTP ${response.status}`, response.status);
  }
  return (text ? JSON.parse(text) : null) as T;
}
