// GoalStore: one goal per thread in Spool's own SQLite database (`<home>/spool/goals.sqlite`, WAL,
// synchronous FULL), never Codex's goals_1.sqlite. The database is the goals' source of truth
// (nothing in the rollouts can rebuild it), so it survives restarts and is never thrown away.
//
// The operations follow Codex 0.169.0's goal table:
//   set            thread/goal/set: update the existing goal (objective edited in place, usage
//                  kept), or create one (needs an objective; default status active)
//   create         the model's create_goal: a new goal; fails while an unfinished (not complete)
//                  goal exists, replaces a complete one
//   replace        an upsert that starts the goal over (new goal id, usage 0)
//   update         status / budget / objective with the budget rules: `active` with tokensUsed >=
//                  budget becomes budgetLimited; `paused` or `blocked` asked of a budgetLimited goal
//                  keeps it budgetLimited; a new budget under the usage limits an active goal
//   modelUpdate    the model's update_goal (complete, blocked or paused only)
//   transition     a status change only from given statuses (a failed turn blocks an active goal)
//   clear          deletes the row ("cleared" is not a status)
//   accountUsage   adds a turn's usage in ONE atomic UPDATE: tokens (input - cached) + output and
//                  wall seconds, flipping the goal to budgetLimited when the new total reaches the
//                  budget; which statuses are charged depends on the AccountingMode
// plus continuation deferrals (a flag per goal that stops automatic continuation turns).
//
// Every change is reported to subscribers, synchronously after it commits: `updated` (with the
// goal, the previous row, the turn it happened in or null, and why) or `cleared`. The server
// turns them into `thread/goal/updated {threadId, turnId, goal}` and `thread/goal/cleared`.
import fs from "node:fs";
import path from "node:path";
import { randomUUID } from "node:crypto";
import Database from "better-sqlite3";
import { BUDGET_CHECKED, CHARGED, GOAL_STATUSES, isGoalStatus, type AccountingMode, type GoalRecord, type GoalStatus } from "./types.js";
import { GoalError, MSG, checkBudget, normalizeObjective } from "./validate.js";

export const goalsPath = (home: string) => path.join(home, "spool", "goals.sqlite");

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS goals (
  thread_id TEXT PRIMARY KEY NOT NULL,
  goal_id TEXT NOT NULL,
  objective TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN (${GOAL_STATUSES.map((s) => `'${s}'`).join(", ")})),
  token_budget INTEGER,
  tokens_used INTEGER NOT NULL DEFAULT 0,
  time_used_seconds INTEGER NOT NULL DEFAULT 0,
  created_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS continuation_deferrals (
  thread_id TEXT PRIMARY KEY NOT NULL REFERENCES goals(thread_id) ON DELETE CASCADE
);
`;

/** Why a goal changed. */
export type GoalChangeCause = "created" | "replaced" | "updated" | "usage";

export type GoalEvent =
  | { type: "updated"; threadId: string; turnId: string | null; goal: GoalRecord; previous: GoalRecord | null; cause: GoalChangeCause }
  | { type: "cleared"; threadId: string; turnId: string | null; previous: GoalRecord };

export type GoalListener = (e: GoalEvent) => void;

export interface GoalStoreOptions {
  /** The database file; default `<home>/spool/goals.sqlite`. */
  path?: string;
  home?: string;
  /** In memory only (tests). */
  memory?: boolean;
  /** Clock in ms (default Date.now). */
  now?: () => number;
  newGoalId?: () => string;
  /** Run SQLite's quick_check at open and refuse a damaged file (goals.sqlite at startup). */
  checkIntegrity?: boolean;
}

export interface GoalPatch {
  objective?: string;
  status?: GoalStatus;
  /** undefined: unchanged; null: no budget. */
  tokenBudget?: number | null;
}

export interface MutationOptions {
  /** The turn the change happened in (notifications carry it); null/absent for requests. */
  turnId?: string | null;
  /** Only touch the goal if it still has this id. */
  expectedGoalId?: string | null;
}

/** A turn's usage as the model reported it. */
export interface GoalUsage {
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  wallSeconds: number;
}

export interface AccountingResult {
  /** The row changed. */
  updated: boolean;
  /** The goal after the update (or as it is, when unchanged); null without a goal. */
  goal: GoalRecord | null;
  /** This update moved the goal to budgetLimited. */
  budgetLimited: boolean;
}

/** Tokens a usage charges: non-cached input plus output (negative parts count as 0). */
export const usageTokens = (u: Pick<GoalUsage, "inputTokens" | "cachedInputTokens" | "outputTokens">): number =>
  Math.max(0, Math.max(0, u.inputTokens) - Math.max(0, u.cachedInputTokens)) + Math.max(0, u.outputTokens);

interface Row {
  thread_id: string;
  goal_id: string;
  objective: string;
  status: string;
  token_budget: number | null;
  tokens_used: number;
  time_used_seconds: number;
  created_at_ms: number;
  updated_at_ms: number;
}

function fromRow(r: Row): GoalRecord {
  if (!isGoalStatus(r.status)) throw new Error(`goals.sqlite: unknown status ${r.status} for thread ${r.thread_id}`);
  return {
    threadId: r.thread_id,
    goalId: r.goal_id,
    objective: r.objective,
    status: r.status,
    tokenBudget: r.token_budget,
    tokensUsed: r.tokens_used,
    timeUsedSeconds: r.time_used_seconds,
    createdAtMs: r.created_at_ms,
    updatedAtMs: r.updated_at_ms,
  };
}

/** The status an update ends with (Codex's budget rules); `budget`/`used` are the values after it. */
export function resolveStatus(current: GoalStatus, requested: GoalStatus | undefined, budget: number | null, used: number, budgetChanged: boolean): GoalStatus {
  const over = budget !== null && used >= budget;
  if (requested === undefined) return budgetChanged && current === "active" && over ? "budgetLimited" : current;
  if (current === "budgetLimited" && (requested === "paused" || requested === "blocked")) return current;
  if (requested === "active" && over) return "budgetLimited";
  return requested;
}

const sqlList = (xs: readonly string[]) => xs.map((s) => `'${s}'`).join(", ");

export class GoalStore {
  private readonly db: Database.Database;
  private readonly now: () => number;
  private readonly newGoalId: () => string;
  private readonly listeners = new Set<GoalListener>();
  private readonly stmts: {
    get: Database.Statement;
    insert: Database.Statement;
    upsert: Database.Statement;
    write: Database.Statement;
    del: Database.Statement;
    defer: Database.Statement;
    undefer: Database.Statement;
    deferred: Database.Statement;
  };
  private readonly accountStmts = new Map<string, Database.Statement>();
  private closed = false;

  constructor(opts: GoalStoreOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.newGoalId = opts.newGoalId ?? randomUUID;
    let file = ":memory:";
    if (!opts.memory) {
      file = opts.path ?? (opts.home ? goalsPath(opts.home) : "");
      if (!file) throw new Error("GoalStore: give a home, a path, or memory: true");
      fs.mkdirSync(path.dirname(file), { recursive: true });
    }
    this.db = new Database(file);
    try {
      this.db.pragma("busy_timeout = 5000");
      if (!opts.memory) {
        this.db.pragma("journal_mode = WAL");
        this.db.pragma("synchronous = FULL");
      }
      this.db.pragma("foreign_keys = ON");
      if (opts.checkIntegrity) {
        const check = this.db.pragma("quick_check", { simple: true });
        if (check !== "ok") throw new Error(`goals.sqlite integrity check failed: ${String(check)}`);
      }
      const version = this.db.pragma("user_version", { simple: true }) as number;
      if (version > SCHEMA_VERSION) throw new Error(`goals.sqlite has schema version ${version}; this Spool knows ${SCHEMA_VERSION}`);
      this.db.exec(SCHEMA);
      if (version < SCHEMA_VERSION) this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
    } catch (e) {
      this.db.close();
      throw e;
    }
    const cols = "thread_id, goal_id, objective, status, token_budget, tokens_used, time_used_seconds, created_at_ms, updated_at_ms";
    this.stmts = {
      get: this.db.prepare(`SELECT ${cols} FROM goals WHERE thread_id = ?`),
      insert: this.db.prepare(
        `INSERT INTO goals (${cols}) VALUES (@thread_id, @goal_id, @objective, @status, @token_budget, 0, 0, @now, @now) ON CONFLICT(thread_id) DO NOTHING RETURNING ${cols}`,
      ),
      upsert: this.db.prepare(
        `INSERT INTO goals (${cols}) VALUES (@thread_id, @goal_id, @objective, @status, @token_budget, 0, 0, @now, @now)
         ON CONFLICT(thread_id) DO UPDATE SET goal_id = excluded.goal_id, objective = excluded.objective, status = excluded.status,
           token_budget = excluded.token_budget, tokens_used = 0, time_used_seconds = 0, created_at_ms = excluded.created_at_ms,
           updated_at_ms = excluded.updated_at_ms
         RETURNING ${cols}`,
      ),
      write: this.db.prepare(
        `UPDATE goals SET objective = @objective, status = @status, token_budget = @token_budget, updated_at_ms = @now
         WHERE thread_id = @thread_id AND goal_id = @goal_id RETURNING ${cols}`,
      ),
      del: this.db.prepare(`DELETE FROM goals WHERE thread_id = ?`),
      defer: this.db.prepare(`INSERT INTO continuation_deferrals (thread_id) SELECT thread_id FROM goals WHERE thread_id = ? ON CONFLICT(thread_id) DO NOTHING`),
      undefer: this.db.prepare(`DELETE FROM continuation_deferrals WHERE thread_id = ?`),
      deferred: this.db.prepare(`SELECT 1 FROM continuation_deferrals WHERE thread_id = ?`),
    };
  }

  /** `<home>/spool/goals.sqlite`. */
  static open(home: string, opts: Omit<GoalStoreOptions, "home" | "path" | "memory"> = {}): GoalStore {
    return new GoalStore({ ...opts, home });
  }

  /** Copies goal rows read from a damaged file (repair); returns how many were written. */
  restoreRows(rows: Record<string, unknown>[]): number {
    const cols = ["thread_id", "goal_id", "objective", "status", "token_budget", "tokens_used", "time_used_seconds", "created_at_ms", "updated_at_ms"];
    const insert = this.db.prepare(`INSERT OR IGNORE INTO goals (${cols.join(", ")}) VALUES (${cols.map((c) => `@${c}`).join(", ")})`);
    let n = 0;
    this.db.transaction(() => {
      for (const r of rows) {
        try {
          n += insert.run(Object.fromEntries(cols.map((c) => [c, r[c] ?? null]))).changes;
        } catch {
          // a row whose readable values break a constraint is lost with the damaged pages
        }
      }
    })();
    return n;
  }

  static memory(opts: Omit<GoalStoreOptions, "home" | "path" | "memory"> = {}): GoalStore {
    return new GoalStore({ ...opts, memory: true });
  }

  /** Calls `fn` after every committed change; returns the unsubscribe function. */
  subscribe(fn: GoalListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  get(threadId: string): GoalRecord | null {
    const r = this.stmts.get.get(threadId) as Row | undefined;
    return r ? fromRow(r) : null;
  }

  /**
   * thread/goal/set: updates the thread's goal, or creates it when there is none (which needs an
   * objective; the default status is active). Objective trimmed and validated, budget positive.
   */
  set(threadId: string, patch: GoalPatch, opts: MutationOptions = {}): GoalRecord {
    const objective = patch.objective === undefined ? undefined : normalizeObjective(patch.objective);
    checkBudget(patch.tokenBudget);
    const { goal, previous, cause } = this.tx(() => {
      const previous = this.get(threadId);
      if (previous) {
        const goal = this.applyPatch(previous, { ...patch, objective });
        return { goal, previous, cause: "updated" as const };
      }
      if (objective === undefined) throw new GoalError(MSG.noGoalForUpdate(threadId));
      const goal = this.upsert(threadId, objective, patch.status ?? "active", patch.tokenBudget ?? null);
      return { goal, previous: null, cause: "created" as const };
    });
    this.emit({ type: "updated", threadId, turnId: opts.turnId ?? null, goal, previous, cause });
    return goal;
  }

  /**
   * The model's create_goal: a new active goal. Fails while the thread has an unfinished goal
   * (any status but complete); a complete goal is replaced.
   */
  create(threadId: string, args: { objective: string; tokenBudget?: number | null }, opts: MutationOptions = {}): GoalRecord {
    const objective = normalizeObjective(args.objective);
    checkBudget(args.tokenBudget);
    const { goal, previous } = this.tx(() => {
      const previous = this.get(threadId);
      if (previous && previous.status !== "complete") throw new GoalError(MSG.unfinishedGoal);
      return { goal: this.upsert(threadId, objective, "active", args.tokenBudget ?? null), previous };
    });
    this.emit({ type: "updated", threadId, turnId: opts.turnId ?? null, goal, previous, cause: previous ? "replaced" : "created" });
    return goal;
  }

  /** Inserts a goal only if the thread has none; null when one exists. Budget 0 is budgetLimited at once. */
  insert(threadId: string, args: { objective: string; status?: GoalStatus; tokenBudget?: number | null }, opts: MutationOptions = {}): GoalRecord | null {
    const objective = normalizeObjective(args.objective);
    const budget = lowLevelBudget(args.tokenBudget);
    const status = resolveStatus("active", args.status ?? "active", budget, 0, false);
    const r = this.stmts.insert.get({ thread_id: threadId, goal_id: this.newGoalId(), objective, status, token_budget: budget, now: this.now() }) as Row | undefined;
    if (!r) return null;
    const goal = fromRow(r);
    this.emit({ type: "updated", threadId, turnId: opts.turnId ?? null, goal, previous: null, cause: "created" });
    return goal;
  }

  /** Starts the thread's goal over: a new goal id, usage 0, no deferral. Budget 0 is budgetLimited at once. */
  replace(threadId: string, args: { objective: string; status?: GoalStatus; tokenBudget?: number | null }, opts: MutationOptions = {}): GoalRecord {
    const objective = normalizeObjective(args.objective);
    const budget = lowLevelBudget(args.tokenBudget);
    const { goal, previous } = this.tx(() => {
      const previous = this.get(threadId);
      return { goal: this.upsert(threadId, objective, args.status ?? "active", budget), previous };
    });
    this.emit({ type: "updated", threadId, turnId: opts.turnId ?? null, goal, previous, cause: previous ? "replaced" : "created" });
    return goal;
  }

  /** Updates the existing goal (null when there is none, or it is not `expectedGoalId`). */
  update(threadId: string, patch: GoalPatch, opts: MutationOptions = {}): GoalRecord | null {
    const objective = patch.objective === undefined ? undefined : normalizeObjective(patch.objective);
    checkBudget(patch.tokenBudget);
    const res = this.tx(() => {
      const previous = this.get(threadId);
      if (!previous || (opts.expectedGoalId && previous.goalId !== opts.expectedGoalId)) return null;
      return { goal: this.applyPatch(previous, { ...patch, objective }), previous };
    });
    if (!res) return null;
    this.emit({ type: "updated", threadId, turnId: opts.turnId ?? null, goal: res.goal, previous: res.previous, cause: "updated" });
    return res.goal;
  }

  /** The model's update_goal: complete, blocked or paused (budgetLimited wins over paused/blocked). */
  modelUpdate(threadId: string, status: GoalStatus, opts: MutationOptions = {}): GoalRecord {
    if (status !== "complete" && status !== "blocked" && status !== "paused") throw new GoalError(MSG.modelStatus);
    const goal = this.update(threadId, { status }, opts);
    if (!goal) throw new GoalError(MSG.noGoalForModelUpdate);
    return goal;
  }

  /** Sets `to` only if the goal's status is one of `from` (null otherwise). */
  transition(threadId: string, from: readonly GoalStatus[], to: GoalStatus, opts: MutationOptions = {}): GoalRecord | null {
    const res = this.tx(() => {
      const previous = this.get(threadId);
      if (!previous || !from.includes(previous.status) || (opts.expectedGoalId && previous.goalId !== opts.expectedGoalId)) return null;
      return { goal: this.write(previous, { status: to }), previous };
    });
    if (!res) return null;
    this.emit({ type: "updated", threadId, turnId: opts.turnId ?? null, goal: res.goal, previous: res.previous, cause: "updated" });
    return res.goal;
  }

  /** Deletes the thread's goal; whether there was one. */
  clear(threadId: string, opts: MutationOptions = {}): boolean {
    const previous = this.tx(() => {
      const previous = this.get(threadId);
      if (previous) this.stmts.del.run(threadId);
      return previous;
    });
    if (!previous) return false;
    this.emit({ type: "cleared", threadId, turnId: opts.turnId ?? null, previous });
    return true;
  }

  /**
   * Charges a turn's usage: tokens (input - cached) + output and wall seconds, in one UPDATE.
   * Unchanged when both are 0, without a goal, when the goal's status is not charged in `mode`
   * (default activeOnly) or it is not `expectedGoalId`.
   */
  accountUsage(threadId: string, usage: GoalUsage, opts: MutationOptions & { mode?: AccountingMode } = {}): AccountingResult {
    return this.accountDelta(threadId, usageTokens(usage), usage.wallSeconds, opts);
  }

  /** accountUsage with the token delta already computed. */
  accountDelta(threadId: string, tokenDelta: number, wallSeconds: number, opts: MutationOptions & { mode?: AccountingMode } = {}): AccountingResult {
    const tokens = Math.max(0, Math.floor(tokenDelta));
    const secs = Math.max(0, Math.floor(wallSeconds));
    if (tokens === 0 && secs === 0) return { updated: false, goal: this.get(threadId), budgetLimited: false };
    const mode = opts.mode ?? "activeOnly";
    const stmt = this.accountStatement(mode, !!opts.expectedGoalId);
    const res = this.tx(() => {
      const previous = this.get(threadId);
      const r = stmt.get({ thread_id: threadId, tokens, secs, now: this.now(), goal_id: opts.expectedGoalId ?? null }) as Row | undefined;
      return { previous, row: r ? fromRow(r) : null };
    });
    if (!res.row) return { updated: false, goal: res.previous, budgetLimited: false };
    const goal = res.row;
    const budgetLimited = goal.status === "budgetLimited" && res.previous?.status !== "budgetLimited";
    this.emit({ type: "updated", threadId, turnId: opts.turnId ?? null, goal, previous: res.previous, cause: "usage" });
    return { updated: true, goal, budgetLimited };
  }

  /** Defers automatic continuation for the thread's goal (false without a goal). Cleared with the goal. */
  defer(threadId: string): boolean {
    this.stmts.defer.run(threadId);
    return this.isDeferred(threadId);
  }

  /** Lifts the deferral; whether there was one. */
  undefer(threadId: string): boolean {
    return this.stmts.undefer.run(threadId).changes > 0;
  }

  isDeferred(threadId: string): boolean {
    return this.stmts.deferred.get(threadId) !== undefined;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    this.db.close();
  }

  // ------------------------------------------------------------------------------------------

  private tx<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  private upsert(threadId: string, objective: string, status: GoalStatus, budget: number | null): GoalRecord {
    const s = resolveStatus("active", status, budget, 0, false);
    const r = this.stmts.upsert.get({ thread_id: threadId, goal_id: this.newGoalId(), objective, status: s, token_budget: budget, now: this.now() }) as Row;
    this.stmts.undefer.run(threadId);
    return fromRow(r);
  }

  private applyPatch(prev: GoalRecord, patch: GoalPatch): GoalRecord {
    const budgetChanged = patch.tokenBudget !== undefined;
    const budget = budgetChanged ? (patch.tokenBudget as number | null) : prev.tokenBudget;
    const status = resolveStatus(prev.status, patch.status, budget, prev.tokensUsed, budgetChanged);
    return this.write(prev, { objective: patch.objective ?? prev.objective, status, tokenBudget: budget });
  }

  private write(prev: GoalRecord, next: Partial<Pick<GoalRecord, "objective" | "status" | "tokenBudget">>): GoalRecord {
    const r = this.stmts.write.get({
      thread_id: prev.threadId,
      goal_id: prev.goalId,
      objective: next.objective ?? prev.objective,
      status: next.status ?? prev.status,
      token_budget: next.tokenBudget === undefined ? prev.tokenBudget : next.tokenBudget,
      now: this.now(),
    }) as Row;
    return fromRow(r);
  }

  private accountStatement(mode: AccountingMode, byGoalId: boolean): Database.Statement {
    const key = `${mode}:${byGoalId}`;
    let s = this.accountStmts.get(key);
    if (!s) {
      s = this.db.prepare(
        `UPDATE goals SET
           time_used_seconds = time_used_seconds + @secs,
           tokens_used = tokens_used + @tokens,
           status = CASE WHEN status IN (${sqlList(BUDGET_CHECKED[mode])}) AND token_budget IS NOT NULL AND tokens_used + @tokens >= token_budget
                         THEN 'budgetLimited' ELSE status END,
           updated_at_ms = @now
         WHERE thread_id = @thread_id AND status IN (${sqlList(CHARGED[mode])})${byGoalId ? " AND goal_id = @goal_id" : ""}
         RETURNING thread_id, goal_id, objective, status, token_budget, tokens_used, time_used_seconds, created_at_ms, updated_at_ms`,
      );
      this.accountStmts.set(key, s);
    }
    return s;
  }

  private emit(e: GoalEvent): void {
    for (const fn of [...this.listeners]) {
      try {
        fn(e);
      } catch {
        // a listener's failure is not the store's
      }
    }
  }
}

function lowLevelBudget(b: number | null | undefined): number | null {
  if (b === null || b === undefined) return null;
  if (!Number.isSafeInteger(b) || b < 0) throw new GoalError(MSG.badBudget);
  return b;
}
