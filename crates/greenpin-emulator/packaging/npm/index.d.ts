// Types for greenpin-emulator: a local server emulating Exotel's GreenPin API, for tests.

/** Every answer, from the API and the controls alike. */
export interface Envelope<T = any> {
  success: boolean;
  /** The HTTP status. */
  status: number;
  /** GreenPin's error code, or null on success. */
  code: number | null;
  message: string | null;
  data: T | null;
  request_id?: string;
  method?: string;
}

/** A control or API request the emulator refused. */
export class EmulatorError extends Error {
  readonly status: number;
  readonly code: number | null;
  readonly envelope: Envelope;
}

export interface StartOptions {
  /** Generated ids and PINs repeat from run to run. */
  seed?: number | bigint;
  /** Where the clock starts (RFC 3339 string or Date); it then stands still until advanced. */
  clock?: string | Date;
  /** The account served (default "demo"). */
  accountSid?: string;
  /** The API key accepted (default "demo-key"). */
  apiKey?: string;
  /** The API token accepted (default "demo-token"). */
  apiToken?: string;
  /** More command-line arguments for the binary. */
  extraArgs?: string[];
  /** The binary (default: $GREENPIN_EMULATOR_BIN, else this package's bin/greenpin-emulator). */
  binary?: string;
}

export interface Clock {
  /** "YYYY-MM-DD HH:MM:SS" in the account's timezone. */
  now: string;
  /** Milliseconds since the Unix epoch. */
  now_ms: number;
}

export type CallAnswer = 'answered' | 'busy' | 'no_answer' | 'failed' | 'caller_hung_up';

export interface CallOptions {
  /** The caller's number. */
  from: string;
  /** The virtual number dialled. */
  vn: string;
  /** The PIN entered, if any. */
  pin?: string;
  /** How the call ends (default answered). */
  answer?: CallAnswer;
  /** How long they talk, in seconds. */
  talkSecs?: number;
}

export interface CallOutcome {
  connected: boolean;
  call_sid: string;
  call_type: string;
  greenpin_id?: string;
  /** Which party the caller is: "a" or "b". */
  party?: 'a' | 'b';
  /** The number reached. */
  to?: string;
  /** Why the call was not connected. */
  reason?: string;
}

export type CallbackKind = 'call_completed' | 'deallocation';
export type CallbackStatus = 'pending' | 'delivered' | 'failed' | 'not_sent' | 'dropped';

export interface CallbackRecord {
  id: number;
  kind: CallbackKind;
  /** When it happened, on the emulator's clock. */
  at: string;
  payload: Record<string, any>;
  status: CallbackStatus;
  note?: string;
  attempts: Array<Record<string, any>>;
}

export interface CallbackFilter {
  callSid?: string;
  kind?: CallbackKind;
  greenpinId?: string;
}

export type FaultKind = 'status' | 'delay' | 'close' | 'truncate';

export interface FaultOptions {
  /** How many matching API requests it hits (default 1). */
  times?: number;
  /** Only requests of this method (default: any). */
  method?: string;
  /** Only requests whose path matches this glob, e.g. "/v1/tenants/*" + "/greenpin/*" (default: any). */
  path?: string;
  /** For "status": the HTTP status. */
  status?: number;
  /** For "status": a Retry-After value. */
  retryAfter?: string;
  /** For "status": the body (default: an error envelope). */
  body?: string;
  /** For "status": the body's content type. */
  contentType?: string;
  /** For "delay": milliseconds. */
  ms?: number;
}

export interface Emulator {
  /** http://127.0.0.1:PORT */
  readonly baseUrl: string;
  readonly accountSid: string;
  readonly apiKey: string;
  readonly apiToken: string;
  /** `${baseUrl}/v1/tenants/${accountSid}`: where the GreenPin API is served. */
  readonly apiUrl: string;
  /** What the binary wrote to stderr (its last 64 KiB). */
  readonly stderr: string;

  clock(): Promise<Clock>;
  /** Moves the clock forward; expiries happen as it passes them. */
  advance(seconds: number): Promise<Clock>;
  /** Places a simulated call. */
  call(options: CallOptions): Promise<CallOutcome>;
  callbacks(filter?: CallbackFilter): Promise<CallbackRecord[]>;
  /** The first settled matching callback, or null after timeoutMs (default 5000). */
  waitForCallback(options?: CallbackFilter & { timeoutMs?: number }): Promise<CallbackRecord | null>;
  /** The request journal (credentials redacted). */
  requests(): Promise<Array<Record<string, any>>>;
  stats(): Promise<Record<string, any>>;
  state(query?: { q?: string; state?: 'active' | 'vault'; offset?: number; limit?: number }): Promise<Record<string, any>>;
  /** Makes the next `times` API requests fail; resolves the queued faults. */
  fault(kind: FaultKind, options?: FaultOptions): Promise<Array<Record<string, any>>>;
  clearFaults(): Promise<unknown>;
  /** As if freshly started; the clock back where it started, or at `clock` (null: real time). */
  reset(options?: { clock?: string | Date | null }): Promise<Clock>;
  /** A request to the GreenPin API with Basic credentials; its envelope, success or not. */
  api<T = any>(method: string, path: string, body?: unknown): Promise<Envelope<T>>;
  /** Stops the emulator; resolves once it exited. */
  close(): Promise<void>;
}

/** Starts an emulator on a free loopback port; resolves once it listens. */
export function start(options?: StartOptions): Promise<Emulator>;

/** The binary start() runs by default. */
export function binaryPath(): string;
