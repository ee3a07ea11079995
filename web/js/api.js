// The REST API (/api/v1/sessions): JSON in and out, errors as ApiError with the server's code
// and field. Writes carry the bearer token when the server asks for one (api.token).
import { SESSIONS_PATH, TOKEN_STORAGE_KEY } from './constants.js';

export class ApiError extends Error {
  constructor(status, body, fallbackMessage) {
    const e = body && body.error ? body.error : {};
    super(e.message || fallbackMessage);
    this.status = status;
    this.code = e.code || 'http_' + status;
    this.field = e.field || '';
  }
}

let token = '';
try {
  token = localStorage.getItem(TOKEN_STORAGE_KEY) || '';
} catch {
  token = ''; // storage blocked: the token lasts for this page only
}

let onUnauthorized = () => {};

/** fn() runs on every 401: the page asks for a token. */
export function whenUnauthorized(fn) {
  onUnauthorized = fn;
}

/** Keeps the token for later writes (and in localStorage when allowed); '' clears it. */
export function setToken(value) {
  token = value;
  try {
    if (token) localStorage.setItem(TOKEN_STORAGE_KEY, token);
    else localStorage.removeItem(TOKEN_STORAGE_KEY);
  } catch {
    // storage blocked: keep it in memory
  }
}

async function request(method, path, body) {
  const init = { method, headers: { Accept: 'application/json' } };
  if (token && method !== 'GET') init.headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, null, `cannot reach the server (${e.message})`);
  }
  let data = null;
  const text = res.status === 204 ? '' : await res.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (res.status === 401) onUnauthorized();
  if (!res.ok) throw new ApiError(res.status, data, `${method} ${path}: HTTP ${res.status}`);
  return data;
}

const sessionPath = (id) => `${SESSIONS_PATH}/${encodeURIComponent(id)}`;

/** The sessions, as the server lists them ({sessions: [...]}). */
export async function listSessions() {
  const data = await request('GET', SESSIONS_PATH);
  return data && Array.isArray(data.sessions) ? data.sessions : [];
}

export const getSession = (id) => request('GET', sessionPath(id));
export const createSession = (body) => request('POST', SESSIONS_PATH, body);
export const patchSession = (id, body) => request('PATCH', sessionPath(id), body);
