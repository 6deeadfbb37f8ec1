// ThreadMetadataSync: the live layer's metadata policy. Stores only take raw history and literal
// patches; this turns appended history into patches (preview, first user message, model, cwd,
// token totals, updatedAt/recency) with the same rules the index uses (derive.ts), and decides
// when a patch is due:
//  - a created thread's first patch (createdAt, provider, cwd, …) waits for its first user item,
//    so a thread that never gets a message never shows up in lists;
//  - a resumed thread replays its history without touching updatedAt; what that derives waits
//    for the first new append;
//  - appends that carry no metadata only "touch" updatedAt, at most once per touch interval
//    (5 s; small in tests);
//  - a generation number lets a patch applied while newer observations arrived keep those.
import type { JsonObject } from "../rollout/line.js";
import { obj, str } from "../rollout/line.js";
import { sessionSourceAgent } from "../rollout/writer-format.js";
import type { CreateThreadParams, RolloutItem, ThreadMetadataPatch } from "../store/types.js";
import { emptyMetadata, reduceMetadata, userEventPreview, type ThreadMetadata } from "./derive.js";

export const DEFAULT_TOUCH_INTERVAL_MS = 5_000;

export interface MetadataSyncOptions {
  /** Minimum time between two touch-only (updatedAt) patches. Default 5 s. */
  touchIntervalMs?: number;
  /** Clock in ms since the epoch (tests). */
  now?: () => number;
}

export interface MetadataSyncCreateOptions extends MetadataSyncOptions {
  /** Git facts of the cwd, when the caller collected them. */
  gitInfo?: ThreadMetadataPatch["gitInfo"];
}

export interface MetadataSyncResumeOptions extends MetadataSyncOptions {
  /** The cwd future writes run in; a non-empty one stops turn_context from setting cwd. */
  cwd?: string | null;
}

/** A patch to apply, tagged with the generation it was taken at. */
export interface PendingMetadataPatch {
  readonly patch: ThreadMetadataPatch;
  readonly generation: number;
}

/** Overlays the present fields of `next` onto `base` (null clears; git info merges field by field; recency keeps the max). */
export function mergePatch(base: ThreadMetadataPatch, next: ThreadMetadataPatch): ThreadMetadataPatch {
  const out: ThreadMetadataPatch = { ...base };
  for (const [k, v] of Object.entries(next) as [keyof ThreadMetadataPatch, unknown][]) {
    if (v === undefined) continue;
    if (k === "gitInfo" && v !== null && base.gitInfo) {
      const merged = { ...base.gitInfo };
      for (const [gk, gv] of Object.entries(v as object)) if (gv !== undefined) (merged as Record<string, unknown>)[gk] = gv;
      out.gitInfo = merged;
    } else if (k === "advanceRecencyAtMs" && base.advanceRecencyAtMs !== undefined) {
      out.advanceRecencyAtMs = Math.max(base.advanceRecencyAtMs, v as number);
    } else {
      (out as Record<string, unknown>)[k] = v;
    }
  }
  return out;
}

export function isEmptyPatch(p: ThreadMetadataPatch): boolean {
  return Object.values(p).every((v) => v === undefined);
}

/** Facts other than updatedAt: a pending patch holding any is never throttled. */
function hasMetadataFacts(p: ThreadMetadataPatch): boolean {
  return Object.entries(p).some(([k, v]) => v !== undefined && k !== "updatedAtMs");
}

function isUserItem(item: RolloutItem): boolean {
  return item.type === "event_msg" && userEventPreview(item.payload) !== null;
}

function isTurnStarted(item: RolloutItem): boolean {
  return item.type === "event_msg" && (item.payload.type === "task_started" || item.payload.type === "turn_started");
}

/** Whether an item can change the thread's metadata (otherwise an append is a mere touch). */
export function itemAffectsMetadata(item: RolloutItem): boolean {
  switch (item.type) {
    case "session_meta":
    case "turn_context":
      return true;
    case "event_msg":
      switch (item.payload.type) {
        case "user_message":
        case "token_count":
        case "thread_goal_updated":
        case "thread_settings_applied":
          return true;
        case "item_completed":
          return obj(item.payload.item)?.type === "UserMessage";
      }
      return false;
    default:
      return false;
  }
}

type Snapshot = Pick<
  ThreadMetadata,
  | "preview"
  | "model"
  | "reasoningEffort"
  | "cwd"
  | "tokensUsed"
  | "modelProvider"
  | "cliVersion"
  | "createdAtMs"
  | "threadSource"
  | "agentNickname"
  | "agentRole"
  | "gitSha"
  | "gitBranch"
  | "gitOriginUrl"
>;

function snapshot(m: ThreadMetadata): Snapshot {
  const { preview, model, reasoningEffort, cwd, tokensUsed, modelProvider, cliVersion, createdAtMs, threadSource, agentNickname, agentRole, gitSha, gitBranch, gitOriginUrl } = m;
  return { preview, model, reasoningEffort, cwd, tokensUsed, modelProvider, cliVersion, createdAtMs, threadSource, agentNickname, agentRole, gitSha, gitBranch, gitOriginUrl };
}

export class ThreadMetadataSync {
  readonly threadId: string;
  private readonly touchIntervalMs: number;
  private readonly now: () => number;
  /** What the observed history says so far, folded with derive.ts's rules. */
  private readonly state: ThreadMetadata = emptyMetadata();
  private firstUserMessageSeen = false;
  private userItemSeen = false;
  private pending: ThreadMetadataPatch | null = null;
  private generation = 0;
  private lastTouchAtMs: number | null = null;
  private deferUntilUserItem = false;
  private deferUntilAppend = false;

  private constructor(threadId: string, opts: MetadataSyncOptions) {
    this.threadId = threadId;
    this.touchIntervalMs = opts.touchIntervalMs ?? DEFAULT_TOUCH_INTERVAL_MS;
    this.now = opts.now ?? Date.now;
  }

  /** A new thread: seeds the creation patch, held back until the first user item is appended. */
  static forCreate(params: CreateThreadParams, opts: MetadataSyncCreateOptions = {}): ThreadMetadataSync {
    const sync = new ThreadMetadataSync(params.threadId, opts);
    const createdAtMs = params.createdAt?.getTime() ?? sync.now();
    const agent = sessionSourceAgent(params.source);
    const s = sync.state;
    s.createdAtMs = createdAtMs;
    s.cwd = params.cwd;
    s.modelProvider = params.modelProvider;
    s.cliVersion = params.cliVersion;
    s.threadSource = params.threadSource ?? null;
    s.agentNickname = agent.nickname;
    s.agentRole = agent.role;
    const patch: ThreadMetadataPatch = {
      modelProvider: params.modelProvider,
      createdAtMs,
      updatedAtMs: createdAtMs,
      cwd: params.cwd,
      cliVersion: params.cliVersion,
      threadSource: params.threadSource ?? null,
      agentNickname: agent.nickname,
      agentRole: agent.role,
    };
    if (opts.gitInfo) {
      patch.gitInfo = { ...opts.gitInfo };
      s.gitSha = opts.gitInfo.sha ?? null;
      s.gitBranch = opts.gitInfo.branch ?? null;
      s.gitOriginUrl = opts.gitInfo.originUrl ?? null;
    }
    sync.pending = patch;
    sync.generation = 1;
    sync.deferUntilUserItem = true;
    return sync;
  }

  /**
   * A thread reopened for writing: replays its history (no updatedAt). What that derives stays
   * pending until the first new append; a history with no user item waits for one like a new thread.
   */
  static forResume(threadId: string, history: readonly RolloutItem[], opts: MetadataSyncResumeOptions = {}): ThreadMetadataSync {
    const sync = new ThreadMetadataSync(threadId, opts);
    if (opts.cwd) sync.state.cwd = opts.cwd;
    const patch = sync.observe(history, {});
    if (patch && !isEmptyPatch(patch)) sync.merge(patch);
    sync.deferUntilAppend = sync.pending !== null;
    sync.deferUntilUserItem = !sync.userItemSeen;
    return sync;
  }

  /** Whether a user item has been seen (so patches are no longer held back for one). */
  get hasUserItem(): boolean {
    return this.userItemSeen;
  }

  /** The pending patch, if any, whatever the defer rules say. */
  takePending(): PendingMetadataPatch | null {
    return this.pending ? { patch: { ...this.pending }, generation: this.generation } : null;
  }

  /** The pending patch, unless it is held back (no user item yet, or a resume not yet appended to). */
  takePendingForExistingHistory(): PendingMetadataPatch | null {
    if (this.deferUntilUserItem || this.deferUntilAppend) return null;
    return this.takePending();
  }

  /** Records that `update` reached the store: clears the pending patch unless newer facts arrived since. */
  markApplied(update: PendingMetadataPatch): void {
    if (update.generation === this.generation) this.pending = null;
    if (update.patch.updatedAtMs !== undefined) this.lastTouchAtMs = this.now();
  }

  /**
   * Observes items that were just appended (after the persistence policy) and returns the patch to
   * apply now, or null when it is held back (no user item yet) or throttled (a touch too soon).
   */
  observeAppendedItems(items: readonly RolloutItem[]): PendingMetadataPatch | null {
    if (items.length === 0) return null;
    this.deferUntilAppend = false;
    const now = this.now();
    const affects = items.some(itemAffectsMetadata);
    const update: ThreadMetadataPatch = affects ? this.observe(items, { updatedAtMs: now }) : { updatedAtMs: now };
    if (items.some(isTurnStarted)) update.advanceRecencyAtMs = now;
    this.merge(update);
    if (this.deferUntilUserItem) {
      if (!this.userItemSeen) return null;
      this.deferUntilUserItem = false;
    }
    if (!affects && !hasMetadataFacts(this.pending!) && this.lastTouchAtMs !== null && now - this.lastTouchAtMs < this.touchIntervalMs) {
      return null;
    }
    return this.takePending();
  }

  private merge(update: ThreadMetadataPatch): void {
    this.pending = this.pending ? mergePatch(this.pending, update) : { ...update };
    this.generation++;
  }

  /** Folds items into the state and returns `base` plus what changed. */
  private observe(items: readonly RolloutItem[], base: ThreadMetadataPatch): ThreadMetadataPatch {
    const before = snapshot(this.state);
    const patch: ThreadMetadataPatch = { ...base };
    const timestamp = new Date(this.now()).toISOString();
    for (const item of items) {
      const p = item.payload as JsonObject;
      // a session_meta copied from another thread (a fork's history) says nothing about this one
      if (item.type === "session_meta" && str(p.id) !== this.threadId) continue;
      if (isUserItem(item)) {
        this.userItemSeen = true;
        const preview = userEventPreview(p);
        if (preview && !this.firstUserMessageSeen) {
          this.firstUserMessageSeen = true;
          patch.firstUserMessage = preview;
        }
      }
      reduceMetadata(this.state, { timestamp, type: item.type, payload: p });
    }
    const after = snapshot(this.state);
    if (after.preview !== before.preview && after.preview) patch.preview = after.preview;
    if (after.model !== before.model) patch.model = after.model;
    if (after.reasoningEffort !== before.reasoningEffort) patch.reasoningEffort = after.reasoningEffort;
    if (after.cwd !== before.cwd && after.cwd) patch.cwd = after.cwd;
    if (after.tokensUsed !== before.tokensUsed) patch.tokensUsed = after.tokensUsed;
    if (after.modelProvider !== before.modelProvider && after.modelProvider) patch.modelProvider = after.modelProvider;
    if (after.cliVersion !== before.cliVersion && after.cliVersion) patch.cliVersion = after.cliVersion;
    if (after.createdAtMs !== before.createdAtMs && after.createdAtMs) patch.createdAtMs = after.createdAtMs;
    if (after.threadSource !== before.threadSource) patch.threadSource = after.threadSource;
    if (after.agentNickname !== before.agentNickname) patch.agentNickname = after.agentNickname;
    if (after.agentRole !== before.agentRole) patch.agentRole = after.agentRole;
    if (after.gitSha !== before.gitSha || after.gitBranch !== before.gitBranch || after.gitOriginUrl !== before.gitOriginUrl) {
      patch.gitInfo = { sha: after.gitSha, branch: after.gitBranch, originUrl: after.gitOriginUrl };
    }
    return patch;
  }
}
