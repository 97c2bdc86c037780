/** An error the client reports to the project: `code` is a short machine-readable reason
 * (a server reply such as "full" or "password", or one of ours such as "timeout"). */
export class SessionError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'SessionError';
  }
}
