// What became of sends that no caller waits for any more. A send that cannot leave is never silent:
// it throws to its caller, or it is counted here and reported as an 'error' event.
import type { CloudLinkError } from '../errors.js';

export class SendStats {
  /** Sends that could not leave (each also threw, or was reported when it failed later). */
  failedSends = 0;
  /** Messages on fast channels not sent to a member whose link was healing (fast channels may drop). */
  droppedFast = 0;
  /** Messages sent again after a heal because the lost link had not delivered them (RECEIVED). */
  resent = 0;

  constructor(private readonly report: (error: CloudLinkError) => void) {}

  /** A send failure nobody is waiting for (a sealed relay send, a NEW_CHAN): reported as an error event. */
  failedLater(error: CloudLinkError): void {
    if (error.code === 'not-open') this.failedSends += 1;
    this.report(error);
  }

  /** `count` messages that were waiting did not leave: counted, and `error` says so. */
  notDelivered(count: number, error: CloudLinkError): void {
    this.failedSends += count;
    this.report(error);
  }
}
