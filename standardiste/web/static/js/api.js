// Calls to the JSON API. State-changing requests carry the session's CSRF token in the
// X-CSRF-Token header; errors come back as {"error": {"code", "message"}}.

export class ApiError extends Error {
  constructor(code, message, status) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

/** ``body``: sent as JSON; ``file``: a File or Blob sent as is (an upload). */
export async function api(method, path, { body, csrf, file } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (file !== undefined) headers["Content-Type"] = file.type || "application/octet-stream";
  if (csrf) headers["X-CSRF-Token"] = csrf;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: file ?? (body === undefined ? undefined : JSON.stringify(body)),
      credentials: "same-origin",
    });
  } catch {
    throw new ApiError("network", "", 0);
  }
  const data = response.headers.get("Content-Type")?.includes("json")
    ? await response.json().catch(() => null)
    : null;
  if (!response.ok) {
    const error = data?.error ?? {};
    throw new ApiError(error.code ?? "internal_error", error.message ?? "", response.status);
  }
  return data;
}

/** A user-facing message for a failed call: the catalog's text for the code, then details. */
export function errorText(i18n, error) {
  const code = error instanceof ApiError ? error.code : "internal_error";
  const known = i18n.t(`error.${code}`);
  const general = known === `error.${code}` ? i18n.t("error.internal_error") : known;
  return error?.message && error.code !== "network" ? `${general} (${error.message})` : general;
}
