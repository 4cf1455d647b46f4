/** An error a person can act on: it names the item and the reason. The CLI prints its message without a stack. */
export class VitrineError extends Error {
  constructor(
    message: string,
    readonly code: string = 'error',
  ) {
    super(message);
    this.name = 'VitrineError';
  }
}

/** Bad command-line usage: exit status 2. */
export class UsageError extends VitrineError {
  constructor(message: string) {
    super(message, 'usage');
    this.name = 'UsageError';
  }
}

/** A refusal of a service request, with its HTTP status; a 429 says when to retry in `details.retryAfter` (seconds). */
export class ServiceError extends VitrineError {
  constructor(
    message: string,
    readonly status: number,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message, status === 429 ? 'rate-limited' : status === 404 ? 'not-found' : status === 409 ? 'conflict' : status === 503 ? 'unavailable' : 'validation');
    this.name = 'ServiceError';
  }
}
