/** The JSON the API sends (src/http/app.ts), as the page reads it. */

export type Role = 'user' | 'admin';

export interface User {
  id: string;
  name: string;
  role: Role;
  createdAt: string;
}

export interface FeedbackTerms {
  accepted: boolean;
  version: string;
  at: string;
}

export interface Me {
  user: User;
  feedbackTerms: FeedbackTerms | null;
  termsVersion: string;
}

export type GenerationStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

export interface GenerationSettings {
  seed: number;
  steps: number;
  guidance: number;
  method: string;
  shift: number;
  /** The denoiser that ran (absent: fp32, made before int8 existed). */
  precision?: 'fp32' | 'int8';
  /** Guided steps, from t hi down to lo (absent: every step). */
  guidanceInterval?: [number, number];
  size: number;
  count: number;
  candidates: number;
  reward: string | null;
  strength: number | null;
}

export interface GenerationImage {
  index: number;
  url: string;
  downloadUrl: string;
  candidate: number;
  score: number | null;
  favourite: boolean;
  /** What the owner said last about this image (kept by the server, so it survives a reload). */
  verdict?: 'pick' | 'reject' | null;
  reason?: string | null;
}

export interface Generation {
  id: string;
  prompt: string;
  status: GenerationStatus;
  error: string | null;
  model: string;
  settings: GenerationSettings;
  variationOf: { generation: string; index: number } | null;
  createdAt: string;
  finishedAt: string | null;
  milliseconds: number | null;
  /** Says the images are AI-made: shown with every set. */
  label: string;
  images: GenerationImage[];
  events: string;
}

/** What POST /api/generations takes. */
export interface ImagineRequest {
  prompt: string;
  seed?: number;
  steps?: number;
  guidance?: number;
  size?: number;
  candidates?: number;
  variationOf?: { generation: string; index: number; strength?: number };
}

/** Server-Sent Events of GET /api/generations/:id/events. */
export type JobEvent =
  | { type: 'queued'; position: number }
  | { type: 'started' }
  | { type: 'progress'; step: number; steps: number; preview?: string[] }
  | { type: 'done'; generation: Generation }
  | { type: 'failed'; error: string }
  | { type: 'cancelled' };

export interface Favourite {
  at: string;
  index: number;
  generation: Generation;
}

export interface ModelEvalEntry {
  judge: string;
  at: string;
  results: Record<string, unknown>;
}

export interface ModelInfo {
  id: string;
  createdAt: string;
  snapshot: string;
  parent: string | null;
  config: string;
  imagesSeen: number;
  evals: ModelEvalEntry[];
  inUse: boolean;
}

export interface ModelsResponse {
  inUse: string;
  reranker: string | null;
  models: ModelInfo[];
}

export interface Overview {
  posts: { accounts: number; posts: number; media: number; events: number; grants: number };
  decisions: Record<string, number>;
  snapshots: { id: string; createdAt: string; items: number; policy: string; withdrawn: number }[];
  models: { id: string; createdAt: string; parent: string | null; snapshot: string; evals: Record<string, unknown>[] }[];
  feedback: { day: string; kind: string; count: number }[];
  generations: Record<GenerationStatus, number>;
  users: number;
  contributors: number;
  queue: number;
}
