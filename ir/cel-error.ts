/** Thrown when an expression does not parse, or does not evaluate (wrong types, missing key). Carries `expression`. */
export class CelError extends Error {
  readonly expression: string;

  constructor(expression: string, message: string) {
    super(`CEL expression ${JSON.stringify(expression)}: ${message}`);
    this.name = 'CelError';
    this.expression = expression;
  }
}
