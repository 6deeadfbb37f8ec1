// The models a provider offers: its OpenAI-style `GET <base_url>/models` list where it answers
// one, else just the configured model. Each becomes a v2 `Model` with only what Spool knows
// (no invented descriptions, tiers or reasoning presets).

export interface ModelsEndpoint {
  baseUrl: string;
  headers: Record<string, string>;
  queryParams?: Record<string, string>;
}

/** The v2 Model of `model/list`. */
export interface V2Model {
  id: string;
  model: string;
  upgrade: null;
  upgradeInfo: null;
  availabilityNux: null;
  displayName: string;
  description: string;
  modelSpecialty: null;
  hidden: boolean;
  supportedReasoningEfforts: Array<{ reasoningEffort: string; description: string }>;
  defaultReasoningEffort: string;
  inputModalities: string[];
  supportsPersonality: boolean;
  multiAgentVersion: null;
  additionalSpeedTiers: string[];
  serviceTiers: never[];
  defaultServiceTier: null;
  availableAccessPrograms: null;
  isDefault: boolean;
}

const FETCH_TIMEOUT_MS = 5000;

/** Model ids from the provider's `/models` (the `data[].id` of an OpenAI list), or null when it has none. */
export async function fetchProviderModelIds(ep: ModelsEndpoint, fetchImpl: typeof fetch = fetch): Promise<string[] | null> {
  const url = new URL(`${ep.baseUrl.replace(/\/+$/, "")}/models`);
  for (const [k, v] of Object.entries(ep.queryParams ?? {})) url.searchParams.set(k, v);
  try {
    const res = await fetchImpl(url, { headers: ep.headers, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    if (!res.ok) return null;
    const body = (await res.json()) as { data?: unknown };
    if (!Array.isArray(body.data)) return null;
    const ids = body.data.map((m) => (m && typeof m === "object" ? (m as { id?: unknown }).id : undefined)).filter((id): id is string => typeof id === "string" && id !== "");
    return ids.length ? [...new Set(ids)] : null;
  } catch {
    return null;
  }
}

/**
 * The list `model/list` shows: the provider's models (the configured one first, marked default),
 * or the configured model alone when the provider lists none.
 */
export function modelList(ids: string[] | null, configured: string | null, reasoningEffort: string | null): V2Model[] {
  const all = [...new Set([...(configured ? [configured] : []), ...(ids ?? [])])];
  const defaultId = configured ?? all[0];
  return all.map((id) => ({
    id,
    model: id,
    upgrade: null,
    upgradeInfo: null,
    availabilityNux: null,
    displayName: id,
    description: "",
    modelSpecialty: null,
    hidden: false,
    supportedReasoningEfforts: [],
    defaultReasoningEffort: reasoningEffort ?? "medium",
    inputModalities: ["text", "image"],
    supportsPersonality: false,
    multiAgentVersion: null,
    additionalSpeedTiers: [],
    serviceTiers: [],
    defaultServiceTier: null,
    availableAccessPrograms: null,
    isDefault: id === defaultId,
  }));
}
