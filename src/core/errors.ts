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
