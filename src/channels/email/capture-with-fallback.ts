// Captures one message so that the message itself can never stop its mailbox: a failure that belongs
// to the message is logged and the message is captured as quarantined with the failure as its reason.
// Transient failures (see transient-errors.ts) are rethrown; the poll stops and the next one retries.
import { captureAsQuarantined, captureMessage, type CaptureDeps, type CaptureInput, type CaptureOutcome } from './capture-message.ts';
import { errorMessage, isTransientError } from './transient-errors.ts';

export async function captureWithFallback(deps: CaptureDeps, input: CaptureInput): Promise<CaptureOutcome> {
  try {
    return await captureMessage(deps, input);
  } catch (error) {
    if (isTransientError(error)) throw error;
    deps.logger.error({ err: error, mailbox: input.mailbox.id }, 'email capture failed; the message is quarantined');
    return captureAsQuarantined(deps, input, errorMessage(error));
  }
}
