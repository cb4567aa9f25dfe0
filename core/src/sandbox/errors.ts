export type SandboxErrorCode = 'timeout' | 'memory' | 'script' | 'not_json' | 'canceled';

/**
 * A failure of code run in the sandbox. `message` is meant for end users ("Script timed out after
 * 50 ms", "ReferenceError: foo is not defined"); it never holds a host stack.
 */
export class SandboxError extends Error {
  override readonly name = 'SandboxError';
  readonly code: SandboxErrorCode;
  /** For `IsolatePool.evaluate`: the index of the expression that failed, when known. */
  readonly expressionIndex: number | undefined;

  constructor(code: SandboxErrorCode, message: string, options?: { expressionIndex?: number | undefined }) {
    super(message);
    this.code = code;
    this.expressionIndex = options?.expressionIndex;
  }
}
